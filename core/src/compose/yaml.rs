//! A compose file's YAML as a tree that remembers where each value was written (line and
//! column, for the review's findings and SARIF), built from yaml-rust2's event parser under
//! limits, because a compose file is untrusted input:
//!
//! - an alias bomb ("billion laughs": anchors of anchors) is refused when the values the aliases
//!   would expand to pass [`MAX_NODES`], before anything is copied;
//! - nesting is capped at [`MAX_DEPTH`] (yaml-rust2 itself stops flow collections at 255);
//! - YAML merge keys (`<<: *base`), which compose files use for shared settings, are applied as
//!   YAML 1.1 says: keys already in the mapping win, earlier merged mappings win over later ones;
//! - a key written twice in one mapping is an error, as Compose says.
//!
//! The file's size, encoding and binary content are checked before it gets here (see `file`).

use std::collections::HashMap;
use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::TScalarStyle;

/// How many values (scalars, sequences, mappings) a file may expand to, aliases counted as
/// often as they are used. A 500-service compose file has about 50,000.
pub const MAX_NODES: usize = 500_000;
/// How deep collections may nest. Compose files rarely pass 8.
pub const MAX_DEPTH: usize = 64;

/// Where a value starts: 1-based line and column (characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    pub line: u32,
    pub col: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A scalar as written; `plain` when unquoted (only plain scalars are `true`, `null`, numbers).
    Scalar {
        text: String,
        plain: bool,
    },
    Seq(Vec<Node>),
    /// Entries in the order written (merge keys already applied).
    Map(Vec<(Node, Node)>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub pos: Pos,
    /// A local tag such as Compose's `!reset` or `!override`.
    pub tag: Option<String>,
}

/// Why a file is not YAML we will read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    pub message: String,
    pub pos: Pos,
}

impl Node {
    /// The text of a scalar (`None` for collections).
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar { text, .. } => Some(text),
            _ => None,
        }
    }

    /// A plain `null`, `~` or nothing at all (`key:`).
    pub fn is_null(&self) -> bool {
        matches!(&self.value, Value::Scalar { text, plain: true } if matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL"))
    }

    pub fn entries(&self) -> &[(Node, Node)] {
        match &self.value {
            Value::Map(m) => m,
            _ => &[],
        }
    }

    pub fn items(&self) -> &[Node] {
        match &self.value {
            Value::Seq(s) => s,
            _ => &[],
        }
    }

    /// The entry of a mapping whose key is `key`: (key node, value node).
    pub fn entry(&self, key: &str) -> Option<(&Node, &Node)> {
        self.entries().iter().find(|(k, _)| k.as_str() == Some(key)).map(|(k, v)| (k, v))
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|(_, v)| v)
    }

    /// Values in a tree (for budgets and tests).
    pub fn count(&self) -> usize {
        1 + match &self.value {
            Value::Scalar { .. } => 0,
            Value::Seq(s) => s.iter().map(Node::count).sum(),
            Value::Map(m) => m.iter().map(|(k, v)| k.count() + v.count()).sum(),
        }
    }

    /// Every scalar in the tree, keys excluded, mutably (interpolation).
    pub fn for_each_scalar_mut(
        &mut self,
        f: &mut dyn FnMut(&mut String, Pos) -> Result<(), YamlError>,
    ) -> Result<(), YamlError> {
        // An explicit stack: depth is bounded already, but this keeps the walk flat.
        let mut stack: Vec<&mut Node> = vec![self];
        while let Some(n) = stack.pop() {
            let pos = n.pos;
            match &mut n.value {
                Value::Scalar { text, .. } => f(text, pos)?,
                Value::Seq(s) => stack.extend(s.iter_mut()),
                Value::Map(m) => stack.extend(m.iter_mut().map(|(_, v)| v)),
            }
        }
        Ok(())
    }
}

enum Open {
    Seq { items: Vec<Node>, pos: Pos, tag: Option<String>, anchor: usize },
    Map { entries: Vec<(Node, Node)>, key: Option<Node>, pos: Pos, tag: Option<String>, anchor: usize },
}

fn pos_of(m: &yaml_rust2::scanner::Marker) -> Pos {
    Pos { line: u32::try_from(m.line()).unwrap_or(u32::MAX), col: u32::try_from(m.col() + 1).unwrap_or(u32::MAX) }
}

fn tag_name(t: Option<Tag>) -> Option<String> {
    t.map(|t| format!("{}{}", t.handle, t.suffix))
}

/// Parses one YAML document. An empty file is an empty mapping's absence: `Ok(None)`.
pub fn parse(text: &str) -> Result<Option<Node>, YamlError> {
    let mut parser = Parser::new_from_str(text);
    let mut stack: Vec<Open> = Vec::new();
    let mut anchors: HashMap<usize, (Node, usize)> = HashMap::new();
    let mut budget = MAX_NODES;
    let mut root: Option<Node> = None;
    let mut documents = 0;
    loop {
        let (event, mark) =
            parser.next_token().map_err(|e| YamlError { message: e.info().to_owned(), pos: pos_of(e.marker()) })?;
        let pos = pos_of(&mark);
        let err = |message: String| YamlError { message, pos };
        let done: Option<(Node, usize)> = match event {
            Event::StreamEnd => break,
            Event::DocumentStart => {
                documents += 1;
                if documents > 1 {
                    return Err(err("the file holds more than one YAML document (---); a compose file is one".into()));
                }
                None
            }
            Event::StreamStart | Event::DocumentEnd | Event::Nothing => None,
            Event::Alias(id) => {
                let Some((node, size)) = anchors.get(&id) else {
                    return Err(err("an alias (*name) refers to an anchor that is not defined before it".into()));
                };
                if *size > budget {
                    return Err(err(format!(
                        "the file's aliases expand to more than {MAX_NODES} values (an alias bomb?); refused"
                    )));
                }
                budget -= size;
                let mut copy = node.clone();
                copy.pos = pos;
                Some((copy, 0))
            }
            Event::Scalar(text, style, anchor, tag) => {
                budget = budget
                    .checked_sub(1)
                    .ok_or_else(|| err(format!("the file has more than {MAX_NODES} values; refused")))?;
                let node = Node {
                    value: Value::Scalar { text, plain: style == TScalarStyle::Plain },
                    pos,
                    tag: tag_name(tag),
                };
                Some((node, anchor))
            }
            Event::SequenceStart(..) | Event::MappingStart(..) => {
                let is_seq = matches!(event, Event::SequenceStart(..));
                let (Event::SequenceStart(anchor, tag) | Event::MappingStart(anchor, tag)) = event else {
                    unreachable!()
                };
                if stack.len() >= MAX_DEPTH {
                    return Err(err(format!("values nest deeper than {MAX_DEPTH} levels; refused")));
                }
                budget = budget
                    .checked_sub(1)
                    .ok_or_else(|| err(format!("the file has more than {MAX_NODES} values; refused")))?;
                // The start marker of a block collection is where its first entry is; the key
                // that holds it gives the better position, and the tree keeps that one.
                let tag = tag_name(tag);
                stack.push(if is_seq {
                    Open::Seq { items: Vec::new(), pos, tag, anchor }
                } else {
                    Open::Map { entries: Vec::new(), key: None, pos, tag, anchor }
                });
                None
            }
            Event::SequenceEnd => match stack.pop() {
                Some(Open::Seq { items, pos, tag, anchor }) => {
                    Some((Node { value: Value::Seq(items), pos, tag }, anchor))
                }
                _ => return Err(err("unbalanced sequence".into())),
            },
            Event::MappingEnd => match stack.pop() {
                Some(Open::Map { entries, pos, tag, anchor, .. }) => {
                    let entries = merge(entries)?;
                    Some((Node { value: Value::Map(entries), pos, tag }, anchor))
                }
                _ => return Err(err("unbalanced mapping".into())),
            },
        };
        let Some((node, anchor)) = done else { continue };
        if anchor > 0 {
            let size = node.count();
            anchors.insert(anchor, (node.clone(), size));
        }
        match stack.last_mut() {
            None => root = Some(node),
            Some(Open::Seq { items, .. }) => items.push(node),
            Some(Open::Map { entries, key, .. }) => match key.take() {
                None => {
                    if !matches!(node.value, Value::Scalar { .. }) {
                        return Err(YamlError { message: "a mapping key is not a plain value".into(), pos: node.pos });
                    }
                    *key = Some(node);
                }
                Some(k) => entries.push((k, node)),
            },
        }
    }
    Ok(root)
}

/// Applies `<<` merge keys and refuses duplicate keys.
fn merge(entries: Vec<(Node, Node)>) -> Result<Vec<(Node, Node)>, YamlError> {
    let mut own: Vec<(Node, Node)> = Vec::with_capacity(entries.len());
    let mut merged: Vec<Node> = Vec::new();
    for (k, v) in entries {
        let is_merge = matches!(&k.value, Value::Scalar { text, plain: true } if text == "<<");
        if is_merge {
            match v.value {
                Value::Map(_) => merged.push(v),
                Value::Seq(items) => {
                    for item in items {
                        if !matches!(item.value, Value::Map(_)) {
                            return Err(YamlError {
                                message: "a merge key (<<) lists something that is not a mapping".into(),
                                pos: item.pos,
                            });
                        }
                        merged.push(item);
                    }
                }
                _ => {
                    return Err(YamlError {
                        message: "a merge key (<<) must name a mapping (<<: *anchor)".into(),
                        pos: v.pos,
                    })
                }
            }
            continue;
        }
        if own.iter().any(|(o, _)| o.as_str() == k.as_str()) {
            return Err(YamlError {
                message: format!("the key {:?} is written twice in one mapping", k.as_str().unwrap_or_default()),
                pos: k.pos,
            });
        }
        own.push((k, v));
    }
    for m in merged {
        let Value::Map(extra) = m.value else { continue };
        for (k, v) in extra {
            if !own.iter().any(|(o, _)| o.as_str() == k.as_str()) {
                own.push((k, v));
            }
        }
    }
    Ok(own)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based() {
        let n = parse("services:\n  web:\n    privileged: true\n").unwrap().unwrap();
        let (k, v) = n.get("services").unwrap().get("web").unwrap().entry("privileged").unwrap();
        assert_eq!(k.pos, Pos { line: 3, col: 5 });
        assert_eq!(v.as_str(), Some("true"));
        assert_eq!(v.pos, Pos { line: 3, col: 17 });
    }

    #[test]
    fn merge_keys_and_anchors() {
        let n = parse("x-base: &b {user: root, read_only: true}\nweb:\n  <<: *b\n  user: app\n").unwrap().unwrap();
        let web = n.get("web").unwrap();
        assert_eq!(web.get("user").unwrap().as_str(), Some("app"), "own keys win");
        assert_eq!(web.get("read_only").unwrap().as_str(), Some("true"), "merged in");
        let n = parse("a: &a {k: 1}\nb: &b {k: 2, j: 3}\nc:\n  <<: [*a, *b]\n").unwrap().unwrap();
        let c = n.get("c").unwrap();
        assert_eq!(c.get("k").unwrap().as_str(), Some("1"), "earlier merged mapping wins");
        assert_eq!(c.get("j").unwrap().as_str(), Some("3"));
    }

    #[test]
    fn an_alias_bomb_is_refused_before_it_is_expanded() {
        let mut s = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let refs = vec![format!("*a{}", i - 1); 10].join(", ");
            s.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
        }
        let t = std::time::Instant::now();
        let e = parse(&s).unwrap_err();
        assert!(e.message.contains("alias bomb"), "{e:?}");
        assert!(t.elapsed().as_secs() < 5);
    }

    #[test]
    fn deep_nesting_duplicates_and_bad_aliases_are_errors() {
        let deep = parse(&"[".repeat(10_000)).unwrap_err().message;
        assert!(deep.contains("deeper") || deep.contains("recursion limit"), "{deep}");
        let deep =
            parse(&("a:\n".to_owned() + &(1..100).map(|i| format!("{}k:\n", "  ".repeat(i))).collect::<String>()))
                .unwrap_err();
        assert!(deep.message.contains("deeper"), "{deep:?}");
        let e = parse("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert!(e.message.contains("twice"), "{e:?}");
        assert_eq!(e.pos.line, 3);
        assert!(parse("a: *nope\n").is_err());
        assert!(parse("a: 1\n---\nb: 2\n").unwrap_err().message.contains("more than one"));
        assert_eq!(parse("").unwrap(), None);
        assert!(parse("a: [1, 2").is_err());
    }
}
