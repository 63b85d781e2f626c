//! `.dockerignore` exactly as the docker CLI reads and applies it: moby's `ignorefile.ReadAll`
//! (comments, BOM, `!` exceptions, `filepath.Clean`), `patternmatcher` (Go's `filepath.Match`
//! syntax check, then each pattern compiled to an exact, prefix or suffix test or to a Go
//! regular expression) and the archive walk's rule for descending into excluded folders. A
//! file Docker would leave out — a secret — must not reach the engine from Bulkhead, and a
//! file Docker would send must not go missing; `tests/engine/images.rs` checks both against
//! the real CLI over a generated corpus.
//!
//! Moby's quirks are kept on purpose, because they are what users' files mean to Docker:
//! `[!x]` is a class of `!` and `x` (not a negation; `[^x]` is), `**` inside a segment
//! (`a**b`) crosses folders, `**/foo` at the start is a suffix test (it also matches
//! `barfoo`), `foo**` at the end a prefix test, and `\d`, `\w`, `\s` are Go's ASCII classes.
//! Patterns are matched on `/`-separated relative paths; a file name that is not UTF-8 is
//! matched in its lossy form.

use crate::error::{Error, Result};

/// How one pattern is tested, as patternmatcher decides from its shape.
#[derive(Debug, Clone)]
enum Test {
    Exact,
    /// `foo**`: the path starts with `foo`.
    Prefix,
    /// `**foo` / `**/foo`: the path ends with the rest (or is it, without the slash).
    Suffix,
    Regex(regex::Regex),
}

#[derive(Debug, Clone)]
struct Pattern {
    /// The pattern after cleaning, without its `!`.
    cleaned: String,
    exclusion: bool,
    test: Test,
}

impl Pattern {
    fn matches(&self, path: &str) -> bool {
        match &self.test {
            Test::Exact => path == self.cleaned,
            Test::Prefix => path.starts_with(&self.cleaned[..self.cleaned.len() - 2]),
            Test::Suffix => {
                let suffix = &self.cleaned[2..];
                path.ends_with(suffix) || (suffix.starts_with('/') && path == &suffix[1..])
            }
            Test::Regex(re) => re.is_match(path),
        }
    }
}

/// The patterns of one `.dockerignore`, in order (the last one that matches decides).
#[derive(Debug, Clone, Default)]
pub struct IgnoreList {
    patterns: Vec<Pattern>,
    exclusions: bool,
}

/// What each pattern said about a folder, for its entries (patternmatcher's MatchInfo). Empty:
/// nothing known, the parents are tested from the path.
#[derive(Debug, Clone, Default)]
pub struct MatchInfo(Vec<bool>);

/// The lines of a `.dockerignore` as patterns (moby's `ignorefile.ReadAll`).
pub fn read_patterns(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (n, line) in text.split('\n').enumerate() {
        // bufio.Scanner's lines: a trailing \r is dropped with the \n.
        let line = line.strip_suffix('\r').unwrap_or(line);
        let line = if n == 0 { line.strip_prefix('\u{FEFF}').unwrap_or(line) } else { line };
        // A comment is a line that starts with #, before any trimming.
        if line.starts_with('#') {
            continue;
        }
        let mut pattern = go_trim_space(line);
        if pattern.is_empty() {
            continue;
        }
        let invert = pattern.starts_with('!');
        if invert {
            pattern = go_trim_space(&pattern[1..]);
        }
        let mut p = String::new();
        if !pattern.is_empty() {
            p = go_clean(pattern);
            if p.len() > 1 && p.starts_with('/') {
                p.remove(0);
            }
        }
        out.push(if invert { format!("!{p}") } else { p });
    }
    out
}

impl IgnoreList {
    /// Reads a `.dockerignore`. A malformed pattern is an error (the docker CLI refuses to
    /// build with one: "syntax error in pattern").
    pub fn parse(text: &str) -> Result<IgnoreList> {
        IgnoreList::new(&read_patterns(text))
    }

    /// patternmatcher.New: trims, cleans, checks each pattern's syntax and compiles it.
    pub fn new(patterns: &[String]) -> Result<IgnoreList> {
        let mut list = IgnoreList::default();
        for raw in patterns {
            let p = go_trim_space(raw);
            if p.is_empty() {
                continue;
            }
            let mut p = go_clean(p);
            let exclusion = p.starts_with('!');
            if exclusion {
                if p.len() == 1 {
                    return Err(Error::invalid(".dockerignore: a line with only \"!\" is not a pattern."));
                }
                p.remove(0);
                list.exclusions = true;
            }
            if !go_match_syntax_ok(&p) {
                return Err(Error::invalid(format!(
                    ".dockerignore: syntax error in pattern {:?}",
                    crate::text::neutralise(&p)
                )));
            }
            let test = compile(&p).map_err(|why| {
                Error::invalid(format!(".dockerignore: pattern {:?}: {}", crate::text::neutralise(&p), why.message))
            })?;
            list.patterns.push(Pattern { cleaned: p, exclusion, test });
        }
        Ok(list)
    }

    /// Any `!` exceptions?
    pub fn exclusions(&self) -> bool {
        self.exclusions
    }

    /// Is this path (relative, `/`-separated) or one of its parent folders excluded
    /// (patternmatcher's MatchesOrParentMatches)?
    pub fn excluded(&self, path: &str) -> bool {
        self.matches_using_parent_results(path, &MatchInfo::default()).0
    }

    /// patternmatcher's MatchesUsingParentResults: `parent` is what the patterns said of the
    /// path's folder (empty: test the parents from the path).
    pub fn matches_using_parent_results(&self, file: &str, parent: &MatchInfo) -> (bool, MatchInfo) {
        let parent = &parent.0;
        let mut matched = false;
        let mut info = vec![false; self.patterns.len()];
        let parent_path = go_dir(file);
        for (i, p) in self.patterns.iter().enumerate() {
            let mut m = parent.get(i).copied().unwrap_or(false);
            if !m {
                if p.exclusion != matched {
                    continue;
                }
                m = p.matches(file);
                if !m && parent.is_empty() && parent_path != "." {
                    let dirs: Vec<&str> = parent_path.split('/').collect();
                    m = (1..=dirs.len()).any(|n| p.matches(&dirs[..n].join("/")));
                }
            }
            info[i] = m;
            if m {
                matched = !p.exclusion;
            }
        }
        (matched, MatchInfo(info))
    }

    /// The archive walk's rule for an excluded folder: it is still entered when an exception
    /// names something under it (`!dir/file`), else skipped whole.
    pub fn enter_excluded_dir(&self, dir: &str) -> bool {
        if !self.exclusions {
            return false;
        }
        let dir_slash = format!("{dir}/");
        self.patterns.iter().any(|p| p.exclusion && format!("{}/", p.cleaned).starts_with(&dir_slash))
    }

    /// The CLI always sends the Dockerfile and the .dockerignore (the engine drops them from
    /// the context later when they were excluded): it adds exceptions for them
    /// (`TrimBuildFilesFromExcludes`).
    pub fn keeping_build_files(patterns: &[String], dockerfile: &str) -> Result<IgnoreList> {
        let list = IgnoreList::new(patterns)?;
        let mut patterns = patterns.to_vec();
        if list.excluded(".dockerignore") {
            patterns.push("!.dockerignore".into());
        }
        if list.excluded(dockerfile) {
            patterns.push(format!("!{dockerfile}"));
        }
        IgnoreList::new(&patterns)
    }
}

/// Go's strings.TrimSpace.
fn go_trim_space(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || c == '\u{85}' || c == '\u{A0}')
}

/// Go's path.Dir for `/`-separated paths: the folder part, cleaned; "." when there is none.
fn go_dir(path: &str) -> String {
    match path.rfind('/') {
        Some(i) => go_clean(&path[..=i]),
        None => ".".into(),
    }
}

/// Go's filepath.Clean on Unix.
fn go_clean(path: &str) -> String {
    if path.is_empty() {
        return ".".into();
    }
    let rooted = path.starts_with('/');
    let mut out: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if out.last().is_some_and(|s| *s != "..") {
                    out.pop();
                } else if !rooted {
                    out.push("..");
                }
            }
            s => out.push(s),
        }
    }
    let joined = out.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".into(),
        (false, false) => joined,
    }
}

/// Whether Go's `filepath.Match(pattern, ".")` accepts the pattern's syntax: every chunk
/// (the text between unbracketed stars) is scanned as matchChunk scans it.
fn go_match_syntax_ok(pattern: &str) -> bool {
    let mut rest = pattern.as_bytes();
    while !rest.is_empty() {
        while rest.first() == Some(&b'*') {
            rest = &rest[1..];
        }
        // scanChunk: up to the next star outside brackets; a backslash skips what follows.
        let (mut i, mut in_range) = (0, false);
        while i < rest.len() {
            match rest[i] {
                b'\\' if i + 1 < rest.len() => i += 1,
                b'[' => in_range = true,
                b']' => in_range = false,
                b'*' if !in_range => break,
                _ => {}
            }
            i += 1;
        }
        if !chunk_syntax_ok(&rest[..i]) {
            return false;
        }
        rest = &rest[i..];
    }
    true
}

/// matchChunk's syntax errors: a class that is empty, unclosed or has a bad range or escape; a
/// trailing backslash.
fn chunk_syntax_ok(mut chunk: &[u8]) -> bool {
    while let Some(&c) = chunk.first() {
        match c {
            b'[' => {
                chunk = &chunk[1..];
                if chunk.first() == Some(&b'^') {
                    chunk = &chunk[1..];
                }
                let mut ranges = 0;
                loop {
                    if chunk.first() == Some(&b']') && ranges > 0 {
                        chunk = &chunk[1..];
                        break;
                    }
                    let Some(next) = class_char(chunk) else { return false };
                    chunk = next;
                    if chunk.first() == Some(&b'-') {
                        let Some(next) = class_char(&chunk[1..]) else { return false };
                        chunk = next;
                    }
                    ranges += 1;
                }
            }
            b'\\' => {
                if chunk.len() < 2 {
                    return false;
                }
                chunk = &chunk[2..];
            }
            _ => chunk = &chunk[1..],
        }
    }
    true
}

/// getEsc: one (possibly escaped) character of a class; what follows it, which may not be empty.
fn class_char(chunk: &[u8]) -> Option<&[u8]> {
    let mut chunk = match chunk.first() {
        None | Some(b'-' | b']') => return None,
        Some(b'\\') => &chunk[1..],
        Some(_) => chunk,
    };
    let first = *chunk.first()?;
    let width = match first {
        0x00..=0x7F => 1,
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        _ => 4,
    };
    if chunk.len() < width {
        return None;
    }
    chunk = &chunk[width..];
    (!chunk.is_empty()).then_some(chunk)
}

/// Where the argument of `\\p` or `\\x` that starts at `chars[i]` ends: after a `{…}`, or after
/// `short` characters.
fn escape_end(chars: &[char], i: usize, short: usize) -> Result<usize> {
    if chars.get(i) == Some(&'{') {
        chars[i..].iter().position(|&x| x == '}').map(|p| i + p + 1).ok_or_else(|| bad("unclosed {"))
    } else {
        Ok(i + short)
    }
}

/// Why a pattern's regular expression cannot be compiled.
fn bad(why: impl Into<String>) -> Error {
    Error::invalid(why)
}

/// patternmatcher's compile: the test for one pattern, or the reason it cannot be compiled.
fn compile(pattern: &str) -> Result<Test> {
    let mut re = String::from("^");
    let mut kind = 0; // 0 exact, 1 prefix, 2 suffix, 3 regex
    let chars: Vec<char> = pattern.chars().collect();
    let mut pos = 0;
    let mut i = 0;
    while pos < chars.len() {
        let ch = chars[pos];
        pos += 1;
        match ch {
            '*' if chars.get(pos) == Some(&'*') => {
                pos += 1;
                if chars.get(pos) == Some(&'/') {
                    pos += 1;
                }
                if pos == chars.len() {
                    if kind == 0 {
                        kind = 1;
                    } else {
                        re.push_str(".*");
                        kind = 3;
                    }
                } else {
                    re.push_str("(.*/)?");
                    kind = 3;
                }
                if i == 0 {
                    kind = 2;
                }
            }
            '*' => {
                re.push_str("[^/]*");
                kind = 3;
            }
            '?' => {
                re.push_str("[^/]");
                kind = 3;
            }
            '.' | '+' | '(' | ')' | '|' | '{' | '}' | '$' => {
                re.push('\\');
                re.push(ch);
            }
            '\\' => {
                if let Some(&next) = chars.get(pos) {
                    pos += 1;
                    re.push('\\');
                    re.push(next);
                    kind = 3;
                } else {
                    re.push('\\');
                }
            }
            '[' | ']' => {
                re.push(ch);
                kind = 3;
            }
            c => re.push(c),
        }
        i += 1;
    }
    Ok(match kind {
        0 => Test::Exact,
        1 => Test::Prefix,
        2 => Test::Suffix,
        _ => {
            re.push('$');
            Test::Regex(regex::Regex::new(&go_regex_to_rust(&re)?).map_err(|e| bad(e.to_string()))?)
        }
    })
}

/// Translates a Go (RE2) regular expression, of the forms `compile` produces, to the regex
/// crate's syntax, which differs in a few places: inside a class Go takes `[`, `&`, `~` and a
/// second `-` literally; `\d`, `\s`, `\w` and `\b` are ASCII in Go and Unicode in Rust.
fn go_regex_to_rust(go: &str) -> Result<String> {
    let chars: Vec<char> = go.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '[' => {
                let (class, next) = go_class(&chars, i)?;
                out.push_str(&class);
                i = next;
            }
            '\\' => {
                let c = *chars.get(i + 1).ok_or_else(|| bad("trailing backslash"))?;
                i += 2;
                match c {
                    'b' | 'B' => out.push_str(&format!("(?-u:\\{c})")),
                    'A' | 'z' => out.push_str(&format!("\\{c}")),
                    'p' | 'P' => {
                        out.push('\\');
                        out.push(c);
                        let name_end = escape_end(&chars, i, 1)?;
                        out.extend(chars.get(i..name_end).ok_or_else(|| bad("bad \\p"))?);
                        i = name_end;
                    }
                    'Q' => {
                        let end = chars[i..].windows(2).position(|w| w == ['\\', 'E']).map_or(chars.len(), |p| i + p);
                        for &q in &chars[i..end] {
                            out.push_str(&regex::escape(&q.to_string()));
                        }
                        i = (end + 2).min(chars.len());
                    }
                    c => out.push_str(&escape_item(c, &chars, &mut i)?),
                }
            }
            c @ ('^' | '$' | '(' | ')' | '|' | '.' | '*' | '+' | '?') => {
                // Repetition flags are never produced here except as `*`, `?` after an atom.
                if c == '(' && chars.get(i + 1) == Some(&'?') {
                    return Err(bad("group flags are not supported"));
                }
                out.push(c);
                i += 1;
            }
            c => {
                out.push_str(&regex::escape(&c.to_string()));
                i += 1;
            }
        }
    }
    Ok(out)
}

/// An escape other than \b \B \A \z \p \Q (after the backslash): a Perl class as Go means it
/// (ASCII), a control escape, a hex escape, or an escaped punctuation character.
fn escape_item(c: char, chars: &[char], i: &mut usize) -> Result<String> {
    Ok(match c {
        'd' => "[0-9]".into(),
        'D' => "[^0-9]".into(),
        's' => "[\\t\\n\\x0C\\r ]".into(),
        'S' => "[^\\t\\n\\x0C\\r ]".into(),
        'w' => "[0-9A-Za-z_]".into(),
        'W' => "[^0-9A-Za-z_]".into(),
        'a' | 'f' | 't' | 'n' | 'r' | 'v' => format!("\\{c}"),
        'x' => {
            let end = escape_end(chars, *i, 2)?;
            let hex: String = chars.get(*i..end).ok_or_else(|| bad("bad \\x"))?.iter().collect();
            *i = end;
            format!("\\x{hex}")
        }
        // Go takes any other ASCII character that is not a letter or a digit literally.
        c if c.is_ascii() && !c.is_ascii_alphanumeric() => regex::escape(&c.to_string()),
        c => return Err(bad(format!("invalid escape \\{c}"))),
    })
}

/// One Go character class starting at `chars[start]` ('['): the Rust class and the index after it.
fn go_class(chars: &[char], start: usize) -> Result<(String, usize)> {
    let mut i = start + 1;
    let mut out = String::from("[");
    if chars.get(i) == Some(&'^') {
        out.push('^');
        i += 1;
    }
    let mut first = true;
    loop {
        let c = *chars.get(i).ok_or_else(|| bad("missing closing ]"))?;
        if c == ']' && !first {
            out.push(']');
            return Ok((out, i + 1));
        }
        first = false;
        // [:alpha:] and [:^alpha:]
        if c == '[' && chars.get(i + 1) == Some(&':') {
            if let Some(end) = chars[i + 2..].windows(2).position(|w| w == [':', ']']) {
                let name: String = chars[i..i + 2 + end + 2].iter().collect();
                out.push_str(&name);
                i += 2 + end + 2;
                continue;
            }
        }
        let (lo, next) = class_atom(chars, i)?;
        i = next;
        if chars.get(i) == Some(&'-') && chars.get(i + 1).is_some_and(|&x| x != ']') {
            let (hi, next) = class_atom(chars, i + 1)?;
            i = next;
            match (lo, hi) {
                (Atom::Char(a), Atom::Char(b)) if a <= b => {
                    out.push_str(&class_literal(a));
                    out.push('-');
                    out.push_str(&class_literal(b));
                }
                _ => return Err(bad("invalid character class range")),
            }
        } else {
            match lo {
                Atom::Char(a) => out.push_str(&class_literal(a)),
                Atom::Class(s) => out.push_str(&s),
            }
        }
    }
}

enum Atom {
    Char(char),
    /// A Perl class or Unicode class inside a class, in Rust's syntax.
    Class(String),
}

fn class_atom(chars: &[char], i: usize) -> Result<(Atom, usize)> {
    let c = *chars.get(i).ok_or_else(|| bad("missing closing ]"))?;
    if c != '\\' {
        return Ok((Atom::Char(c), i + 1));
    }
    let e = *chars.get(i + 1).ok_or_else(|| bad("trailing backslash"))?;
    let mut next = i + 2;
    Ok(match e {
        'd' => (Atom::Class("0-9".into()), next),
        'w' => (Atom::Class("0-9A-Za-z_".into()), next),
        's' => (Atom::Class("\\t\\n\\x0C\\r ".into()), next),
        'D' | 'W' | 'S' => (
            Atom::Class(format!(
                "[^{}]",
                match e {
                    'D' => "0-9",
                    'W' => "0-9A-Za-z_",
                    _ => "\\t\\n\\x0C\\r ",
                }
            )),
            next,
        ),
        'p' | 'P' => {
            let end = escape_end(chars, next, 1)?;
            let body: String = chars.get(next..end).ok_or_else(|| bad("bad \\p"))?.iter().collect();
            (Atom::Class(format!("\\{e}{body}")), end)
        }
        'a' => (Atom::Char('\u{7}'), next),
        'f' => (Atom::Char('\u{C}'), next),
        't' => (Atom::Char('\t'), next),
        'n' => (Atom::Char('\n'), next),
        'r' => (Atom::Char('\r'), next),
        'v' => (Atom::Char('\u{B}'), next),
        'x' => {
            let (hex, end) = if chars.get(next) == Some(&'{') {
                let end = chars[next..]
                    .iter()
                    .position(|&x| x == '}')
                    .map(|p| next + p)
                    .ok_or_else(|| bad("unclosed \\x{"))?;
                (chars[next + 1..end].iter().collect::<String>(), end + 1)
            } else {
                (chars.get(next..next + 2).ok_or_else(|| bad("bad \\x"))?.iter().collect::<String>(), next + 2)
            };
            next = end;
            let c = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32).ok_or_else(|| bad("bad \\x"))?;
            (Atom::Char(c), next)
        }
        c if c.is_ascii() && !c.is_ascii_alphanumeric() => (Atom::Char(c), next),
        c => return Err(bad(format!("invalid escape \\{c}"))),
    })
}

/// A character as a literal inside a Rust class.
fn class_literal(c: char) -> String {
    if "[]\\-^&~".contains(c) {
        format!("\\{c}")
    } else {
        c.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(text: &str) -> IgnoreList {
        IgnoreList::parse(text).unwrap()
    }

    #[test]
    fn dockerignore_semantics() {
        let l = list("# comment\n*.log\n/secret.txt\nbuild/\n**/*.tmp\n!important.log\nnode_modules\n!node_modules/keep.js\ndocs/[a-c]*.md\n");
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
    fn moby_quirks_are_kept() {
        // [!x] is a class of '!' and 'x'; [^x] negates.
        assert!(list("[!x]*").excluded("x.log") && list("[!x]*").excluded("!a") && !list("[!x]*").excluded("a"));
        assert!(list("[^x]*").excluded("a") && !list("[^x]*").excluded("x"));
        // ? is one character, however many bytes it takes.
        assert!(list("?.txt").excluded("é.txt") && list("??.txt").excluded("日本.txt"));
        // ** inside a segment crosses folders; a leading ** is a suffix test.
        assert!(list("a**b").excluded("a/x/b") && list("a**b").excluded("ab"));
        assert!(list("**/foo").excluded("foo") && list("**/foo").excluded("x/foo") && list("**foo").excluded("barfoo"));
        assert!(list("foo**").excluded("foobar/x"));
        // A comment only at the start of a line; spaces around a pattern go.
        assert!(list(" #x").excluded("#x") && !list("#x").excluded("#x"));
        assert!(list("  a.txt  \r\n").excluded("a.txt"));
        // filepath.Clean: ./, //, a/../b; a leading / is dropped; a leading .. stays.
        assert!(list("./a//b/../c").excluded("a/c") && list("/top").excluded("top") && !list("../x").excluded("x"));
        // Go's \d is ASCII.
        assert!(list("\\d.txt").excluded("7.txt") && !list("\\d.txt").excluded("٣.txt"));
        assert!(list("[[]x").excluded("[x"), "[ inside a class is literal in Go");
        assert!(list("a\\ b.txt").excluded("a b.txt"), "an escaped space is a space");
    }

    #[test]
    fn bad_patterns_are_refused_as_the_cli_refuses_them() {
        // (filepath.Match accepts the inverted range [z-a]; Go's regexp refuses it.)
        for bad in ["[", "a[", "[]", "[a-", "x\\", "[\\", "!", "[z-a]"] {
            assert!(IgnoreList::parse(bad).is_err(), "{bad}");
        }
        assert!(IgnoreList::parse("[a-c]\n\\*\n[\\]]").is_ok());
    }

    #[test]
    fn excluded_dirs_are_entered_only_for_an_exception_under_them() {
        let l = list("sub\n!sub/keep\n");
        assert!(l.enter_excluded_dir("sub"));
        let l = list("sub\n!**/keep\n");
        assert!(!l.enter_excluded_dir("sub"), "the archive walk only looks at the exception's text");
        assert!(!list("sub").enter_excluded_dir("sub"));
    }

    #[test]
    fn the_cli_keeps_the_build_files() {
        let l = IgnoreList::keeping_build_files(&read_patterns("*\n"), "Dockerfile").unwrap();
        assert!(!l.excluded("Dockerfile") && !l.excluded(".dockerignore") && l.excluded("x"));
    }

    #[test]
    fn go_clean_and_dir() {
        for (a, b) in
            [("", "."), ("a/./b/", "a/b"), ("/../a", "/a"), ("../../a", "../../a"), ("a/..", "."), ("//x", "/x")]
        {
            assert_eq!(go_clean(a), b, "{a}");
        }
        assert_eq!(go_dir("a/b/c"), "a/b");
        assert_eq!(go_dir("c"), ".");
    }
}
