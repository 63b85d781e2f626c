//! POSIX-shell-like splitting and quoting, for command fields and `docker run …` lines.
//! Nothing here is ever handed to a shell: it only turns text into argument vectors and back.

/// Splits `s` into words: whitespace separates; '…' is literal; "…" allows \" \\ \$ \`;
/// a backslash outside quotes escapes the next character; a backslash-newline joins lines.
pub fn split(s: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(ch) => cur.push(ch),
                        None => return Err("a single quote (') is not closed".into()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(ch @ ('"' | '\\' | '$' | '`')) => cur.push(ch),
                            Some('\n') => {}
                            Some(ch) => {
                                cur.push('\\');
                                cur.push(ch);
                            }
                            None => return Err("a double quote (\") is not closed".into()),
                        },
                        Some(ch) => cur.push(ch),
                        None => return Err("a double quote (\") is not closed".into()),
                    }
                }
            }
            '\\' => match chars.next() {
                Some('\n') => {}
                Some(ch) => {
                    in_word = true;
                    cur.push(ch);
                }
                None => return Err("the line ends with a lone backslash".into()),
            },
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    Ok(words)
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
