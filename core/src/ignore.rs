//! `.dockerignore`, as the engine's client reads it: one pattern a line, `#` comments, `!`
//! exceptions, `*` and `?` within a path segment, `**` across segments, `[…]` classes; a pattern
//! that matches a directory excludes everything in it; the last matching pattern decides.

#[derive(Debug, Clone)]
struct Pattern {
    parts: Vec<String>,
    exclude: bool,
}

#[derive(Debug, Clone, Default)]
pub struct IgnoreList {
    patterns: Vec<Pattern>,
}

impl IgnoreList {
    pub fn parse(text: &str) -> IgnoreList {
        let mut patterns = Vec::new();
        for raw in text.lines() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (exclude, pat) = match line.strip_prefix('!') {
                Some(p) => (false, p.trim()),
                None => (true, line),
            };
            let parts: Vec<String> = clean(pat).split('/').filter(|s| !s.is_empty()).map(str::to_owned).collect();
            if !parts.is_empty() {
                patterns.push(Pattern { parts, exclude });
            }
        }
        IgnoreList { patterns }
    }

    /// Is this path (relative, `/`-separated) left out of the build context?
    pub fn excluded(&self, path: &str) -> bool {
        let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let mut out = false;
        for p in &self.patterns {
            // A pattern matches the path itself or one of its parent directories.
            if (1..=segs.len()).any(|n| match_parts(&p.parts, &segs[..n])) {
                out = p.exclude;
            }
        }
        out
    }

    /// Could anything under this excluded directory be brought back by an exception?
    pub fn may_reinclude_under(&self, dir: &str) -> bool {
        self.patterns
            .iter()
            .any(|p| !p.exclude && (p.parts.join("/").starts_with(dir) || p.parts.iter().any(|s| s.contains("**"))))
    }
}

/// filepath.Clean, for patterns: drops `./`, leading `/`, resolves `..` where it can.
fn clean(p: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            s => out.push(s),
        }
    }
    out.join("/")
}

fn match_parts(pat: &[String], path: &[&str]) -> bool {
    match pat.first() {
        None => path.is_empty(),
        Some(p) if p == "**" => (0..=path.len()).any(|i| match_parts(&pat[1..], &path[i..])),
        Some(p) => !path.is_empty() && glob(p.as_bytes(), path[0].as_bytes()) && match_parts(&pat[1..], &path[1..]),
    }
}

/// One segment: `*`, `?`, `[abc]`, `[a-z]`, `[^…]`/`[!…]`, `\x`.
fn glob(p: &[u8], s: &[u8]) -> bool {
    match p.first() {
        None => s.is_empty(),
        Some(b'*') => (0..=s.len()).any(|i| glob(&p[1..], &s[i..])),
        Some(b'?') => !s.is_empty() && glob(&p[1..], &s[1..]),
        Some(b'[') => {
            let Some(end) = p.iter().skip(1).position(|&c| c == b']').map(|i| i + 1) else {
                return !s.is_empty() && s[0] == b'[' && glob(&p[1..], &s[1..]);
            };
            if s.is_empty() {
                return false;
            }
            let class = &p[1..end];
            let (neg, class) = match class.first() {
                Some(b'^' | b'!') => (true, &class[1..]),
                _ => (false, class),
            };
            let mut hit = false;
            let mut i = 0;
            while i < class.len() {
                if i + 2 < class.len() && class[i + 1] == b'-' {
                    hit |= class[i] <= s[0] && s[0] <= class[i + 2];
                    i += 3;
                } else {
                    hit |= class[i] == s[0];
                    i += 1;
                }
            }
            hit != neg && glob(&p[end + 1..], &s[1..])
        }
        Some(b'\\') if p.len() > 1 => !s.is_empty() && s[0] == p[1] && glob(&p[2..], &s[1..]),
        Some(&c) => !s.is_empty() && s[0] == c && glob(&p[1..], &s[1..]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dockerignore_semantics() {
        let l = IgnoreList::parse("# comment\n*.log\n/secret.txt\nbuild/\n**/*.tmp\n!important.log\nnode_modules\n!node_modules/keep.js\ndocs/[a-c]*.md\n");
        assert!(l.excluded("app.log"));
        assert!(!l.excluded("important.log"), "an exception after the rule wins");
        assert!(!l.excluded("sub/app.log"), "* does not cross directories");
        assert!(l.excluded("secret.txt"));
        assert!(l.excluded("build/out/x.bin"), "a matched directory excludes its contents");
        assert!(l.excluded("a/b/c/x.tmp"));
        assert!(l.excluded("x.tmp"), "** matches zero directories");
        assert!(l.excluded("node_modules/lib/index.js"));
        assert!(!l.excluded("node_modules/keep.js"));
        assert!(l.excluded("docs/api.md") && !l.excluded("docs/zeta.md"));
        assert!(!l.excluded("Dockerfile"));
        assert!(!l.excluded("src/main.rs"));
    }

    #[test]
    fn glob_classes_and_escapes() {
        assert!(glob(b"a?c", b"abc"));
        assert!(glob(b"[!x]b", b"ab"));
        assert!(!glob(b"[^a]b", b"ab"));
        assert!(glob(b"\\*", b"*"));
        assert!(!glob(b"\\*", b"x"));
    }
}
