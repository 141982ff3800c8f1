//! Whether a purpose nobody documents is a slip of a documented one: the same letters in
//! another case, `_` for `-`, or a few edits away (a letter added, dropped, changed, or two
//! swapped): one for a name of up to 4 letters, two up to 8, three for a longer one
//! (`fine-tuning` for `fine-tune`).

/// The documented name among `known` that `given` is a near miss of, if any: equal but for
/// case and `_`/`-`, or within one edit of a name of up to 4 letters, two of one up to 8,
/// three of a longer one. An exact match is no miss.
pub(crate) fn near_miss<'a>(
    given: &str,
    known: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let wanted = normalized(given);
    let mut best: Option<(usize, &'a str)> = None;
    for name in known {
        if name == given {
            return None;
        }
        let candidate = normalized(name);
        let limit = match candidate.len() {
            0..=4 => 1,
            5..=8 => 2,
            _ => 3,
        };
        let distance = edits(&wanted, &candidate);
        if distance <= limit && best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, name));
        }
    }
    best.map(|(_, name)| name)
}

/// Lower case, with `_` and spaces read as `-`.
fn normalized(name: &str) -> Vec<char> {
    name.trim()
        .chars()
        .flat_map(char::to_lowercase)
        .map(|c| if c == '_' || c == ' ' { '-' } else { c })
        .collect()
}

/// The optimal string alignment distance: insertions, deletions, substitutions and swaps of
/// two neighbours, each one edit.
fn edits(a: &[char], b: &[char]) -> usize {
    let width = b.len() + 1;
    let mut rows = vec![0usize; (a.len() + 1) * width];
    let at = |i: usize, j: usize| i * width + j;
    for i in 0..=a.len() {
        rows[at(i, 0)] = i;
    }
    for j in 0..=b.len() {
        rows[at(0, j)] = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (rows[at(i - 1, j)] + 1)
                .min(rows[at(i, j - 1)] + 1)
                .min(rows[at(i - 1, j - 1)] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(rows[at(i - 2, j - 2)] + 1);
            }
            rows[at(i, j)] = best;
        }
    }
    rows[at(a.len(), b.len())]
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const OPENAI: [&str; 6] = [
        "assistants",
        "batch",
        "fine-tune",
        "vision",
        "user_data",
        "evals",
    ];

    #[test]
    fn slips_are_caught() {
        for (given, meant) in [
            ("batc", "batch"),
            ("Batch", "batch"),
            ("BATCH", "batch"),
            ("fine_tune", "fine-tune"),
            ("finetune", "fine-tune"),
            ("fine-tnue", "fine-tune"),
            ("fine-tuning", "fine-tune"),
            ("user-data", "user_data"),
            ("assistant", "assistants"),
            ("eval", "evals"),
            ("visoin", "vision"),
        ] {
            assert_eq!(near_miss(given, OPENAI), Some(meant), "{given}");
        }
    }

    #[test]
    fn other_names_are_not_misses() {
        for given in [
            "responses",
            "batch_output",
            "fine-tune-results",
            "ocr",
            "embeddings",
            "b",
        ] {
            assert_eq!(near_miss(given, OPENAI), None, "{given}");
        }
        assert_eq!(near_miss("batch", OPENAI), None, "an exact match");
        // A short name allows one edit, not two.
        assert_eq!(near_miss("ocx", ["ocr"]), Some("ocr"));
        assert_eq!(near_miss("asr", ["ocr"]), None);
        assert_eq!(
            near_miss("bat", ["batch"]),
            Some("batch"),
            "two edits of a longer name"
        );
        assert_eq!(near_miss("ba", ["batch"]), None, "three");
        assert_eq!(near_miss("assistant_s", ["assistants"]), Some("assistants"));
        assert_eq!(
            near_miss("assistants_output", ["assistants"]),
            None,
            "an output purpose"
        );
        assert_eq!(near_miss("fine-tune-results", ["fine-tune"]), None);
    }

    #[test]
    fn the_closest_name_wins() {
        assert_eq!(near_miss("evalss", ["evals", "vision"]), Some("evals"));
        assert_eq!(
            near_miss("vsion", ["visions", "vision"]),
            Some("vision"),
            "a later, closer one"
        );
        assert_eq!(
            near_miss("visio", ["vision", "visiom"]),
            Some("vision"),
            "a tie: the first"
        );
        // A space reads as `-`, as `_` does: one edit left, not two.
        assert_eq!(near_miss("a bc", ["a-b"]), Some("a-b"));
        assert_eq!(near_miss("a_bc", ["a-b"]), Some("a-b"));
        assert_eq!(
            edits(&normalized("ab"), &normalized("ba")),
            1,
            "a swap is one edit"
        );
        assert_eq!(edits(&normalized(""), &normalized("abc")), 3);
    }

    proptest! {
        #[test]
        fn any_text_is_judged_without_panicking(given in "\\PC{0,40}") {
            if let Some(name) = near_miss(&given, OPENAI) {
                prop_assert!(OPENAI.contains(&name));
                prop_assert_ne!(given.as_str(), name);
            }
        }
    }
}
