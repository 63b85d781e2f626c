//! POSIX-shell-like splitting and quoting, for command fields and `docker run …` lines.
//! Nothing here is ever handed to a shell: it only turns text into argument vectors and back.

/// Splits `s` into words as a POSIX shell would, without expanding anything (the
/// `shell-words` crate): whitespace separates; '…' is literal; "…" allows \" \\ \$ \`; a
/// backslash outside quotes escapes the next character; a backslash-newline joins lines; a `#`
/// that starts a word starts a comment, to the end of the line.
/// A lone backslash at the very end stays a backslash, as in a shell. Lines pasted with
/// CRLF endings read as LF ones (shell-words only splits on space, tab and LF).
/// The error (InvalidArgument) says what is wrong; callers prefix it with the field.
pub fn split(s: &str) -> crate::Result<Vec<String>> {
    let s = if s.contains('\r') { std::borrow::Cow::Owned(s.replace("\r\n", "\n")) } else { s.into() };
    shell_words::split(&s).map_err(|_| crate::Error::invalid("a quote is not closed"))
}

/// Quotes a word so that `split` (and a POSIX shell) reads it back unchanged.
pub fn quote(word: &str) -> String {
    let safe = !word.is_empty()
        && word.chars().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/' | ':' | '=' | '@' | ',' | '+' | '%')
        });
    if safe {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// Quotes and joins words.
pub fn join<S: AsRef<str>>(words: &[S]) -> String {
    words.iter().map(|w| quote(w.as_ref())).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_like_a_shell() {
        assert_eq!(split("  a b\tc ").unwrap(), vec!["a", "b", "c"]);
        assert_eq!(split(r#"sh -c 'echo "hi there"; ls'"#).unwrap(), vec!["sh", "-c", r#"echo "hi there"; ls"#]);
        assert_eq!(split(r#"echo "a \"b\" \$HOME" c\ d"#).unwrap(), vec!["echo", r#"a "b" $HOME"#, "c d"]);
        assert_eq!(split("docker run \\\n -d x").unwrap(), vec!["docker", "run", "-d", "x"]);
        assert_eq!(split("''").unwrap(), vec![""]);
        assert!(split("'open").is_err());
        assert!(split("\"open").is_err());
        assert_eq!(split("x \\").unwrap(), vec!["x", "\\"]);
        assert_eq!(split("docker run \\\r\n -d x\r\n").unwrap(), vec!["docker", "run", "-d", "x"]);
        // A `#` that starts a word starts a comment (pasted lines often end with one).
        assert_eq!(split("docker run -d x # the web server\n").unwrap(), vec!["docker", "run", "-d", "x"]);
        assert_eq!(split("echo a#b '#c'").unwrap(), vec!["echo", "a#b", "#c"]);
    }

    #[test]
    fn quotes_round_trip() {
        for words in [vec!["echo", "it's", "a b", "", "$HOME", "x=1", "\"q\""], vec!["ls", "-l"]] {
            assert_eq!(split(&join(&words)).unwrap(), words);
        }
        assert_eq!(quote("127.0.0.1:8080:80/tcp"), "127.0.0.1:8080:80/tcp");
        assert_eq!(quote("a b"), "'a b'");
    }
}
