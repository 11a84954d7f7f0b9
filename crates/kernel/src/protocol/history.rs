//! The inputs a session has run, with their outputs, answering
//! `history_request`s as IPython's history does: the last `n` (`tail`), a
//! range of line numbers (`range`), or the inputs matching a glob pattern
//! (`search`, optionally `unique`, the last `n`).
//!
//! History lives as long as the kernel process. Its session number is
//! always [`SESSION`]: IPython numbers sessions in a database that
//! outlives kernels, which this kernel does not keep.

use jupyter_protocol::{HistoryEntry, HistoryRequest};

/// The number this kernel's history answers to.
pub const SESSION: usize = 1;

/// One input, with the plain text of its result if it had one.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Entry {
    line: usize,
    input: String,
    output: Option<String>,
}

#[derive(Debug, Default)]
pub struct History {
    entries: Vec<Entry>,
}

impl History {
    /// Records an input run as execution `line`.
    pub fn record(&mut self, line: usize, input: &str) {
        self.entries.push(Entry { line, input: input.to_string(), output: None });
    }

    /// Records the plain-text result of execution `line`.
    pub fn record_output(&mut self, line: usize, output: &str) {
        if let Some(entry) = self.entries.iter_mut().rev().find(|e| e.line == line) {
            entry.output = Some(output.to_string());
        }
    }

    /// The answer to `request`.
    pub fn answer(&self, request: &HistoryRequest) -> Vec<HistoryEntry> {
        let (chosen, output): (Vec<&Entry>, bool) = match request {
            HistoryRequest::Tail { n, output, .. } => (last(self.entries.iter().collect(), *n), *output),
            HistoryRequest::Range { session, start, stop, output, .. } => {
                let this_session = matches!(session, None | Some(0)) || *session == Some(SESSION as i32);
                let (start, stop) = (*start as i64, *stop as i64);
                let in_range = |e: &&Entry| (e.line as i64) >= start && (stop <= start || (e.line as i64) < stop);
                let chosen = if this_session { self.entries.iter().filter(in_range).collect() } else { Vec::new() };
                (chosen, *output)
            }
            HistoryRequest::Search { pattern, unique, output, n, .. } => {
                let Ok(pattern) = glob::Pattern::new(pattern) else { return Vec::new() };
                let mut found: Vec<&Entry> = self.entries.iter().filter(|e| pattern.matches(&e.input)).collect();
                if *unique {
                    // IPython keeps the latest run of each input.
                    let mut seen = std::collections::HashSet::new();
                    found.reverse();
                    found.retain(|e| seen.insert(e.input.as_str()));
                    found.reverse();
                }
                (last(found, *n), *output)
            }
        };
        chosen
            .into_iter()
            .map(|e| match output {
                false => HistoryEntry::Input(SESSION, e.line, e.input.clone()),
                true => {
                    HistoryEntry::InputOutput(SESSION, e.line, (e.input.clone(), e.output.clone().unwrap_or_default()))
                }
            })
            .collect()
    }
}

/// The last `n` of `entries`, in order; all of them for a negative `n`.
fn last(entries: Vec<&Entry>, n: i32) -> Vec<&Entry> {
    let keep = usize::try_from(n).unwrap_or(entries.len()).min(entries.len());
    entries[entries.len() - keep..].to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn history() -> History {
        let mut h = History::default();
        for (line, input) in ["let a = 1;", "6*7", "a + 1", "6*7"].iter().enumerate() {
            h.record(line + 1, input);
        }
        h.record_output(2, "42");
        h
    }

    fn inputs(entries: Vec<HistoryEntry>) -> Vec<(usize, String)> {
        entries
            .into_iter()
            .map(|e| match e {
                HistoryEntry::Input(_, line, input) => (line, input),
                HistoryEntry::InputOutput(_, line, (input, _)) => (line, input),
            })
            .collect()
    }

    #[test]
    fn tail_range_and_search() {
        let h = history();
        let tail = HistoryRequest::Tail { n: 2, output: false, raw: true };
        assert_eq!(inputs(h.answer(&tail)), vec![(3, "a + 1".into()), (4, "6*7".into())]);
        let range = HistoryRequest::Range { session: Some(1), start: 2, stop: 3, output: false, raw: true };
        assert_eq!(inputs(h.answer(&range)), vec![(2, "6*7".into())]);
        let other_session = HistoryRequest::Range { session: Some(-1), start: 1, stop: 5, output: false, raw: true };
        assert!(h.answer(&other_session).is_empty());
        let search = |unique, n| HistoryRequest::Search { pattern: "6*".into(), unique, output: false, raw: true, n };
        assert_eq!(inputs(h.answer(&search(false, 100))), vec![(2, "6*7".into()), (4, "6*7".into())]);
        assert_eq!(inputs(h.answer(&search(true, 100))), vec![(4, "6*7".into())]);
        assert_eq!(inputs(h.answer(&search(false, 1))), vec![(4, "6*7".into())]);
    }

    #[test]
    fn outputs_come_with_their_inputs() {
        let h = history();
        let tail = HistoryRequest::Tail { n: 3, output: true, raw: true };
        let answer = serde_json::to_value(h.answer(&tail)).unwrap();
        assert_eq!(answer[0], serde_json::json!([1, 2, ["6*7", "42"]]));
        assert_eq!(answer[2], serde_json::json!([1, 4, ["6*7", ""]]));
    }
}
