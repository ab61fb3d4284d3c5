//! The learned half of the capability classifier: a linear model over
//! hashed character n-grams of a prompt and the request's shape, trained
//! on real public prompts by `benches/real_prompts/train.py` and shipped
//! as `assets/prompt_model.bin`. It reads any script (n-grams of
//! characters, not words), so it carries the classifier where keyword
//! rules have no words for a language. Its features must stay those of
//! the training script (documented there).

use std::sync::OnceLock;

/// The model that ships with the tool.
const BUILTIN: &[u8] = include_bytes!("../../assets/prompt_model.bin");

/// A trained model: per input (hashed n-gram bucket, then "tools offered",
/// then "has an image") one int8 weight per class, scaled per class.
pub struct PromptModel {
    buckets: usize,
    max_n: usize,
    max_chars: usize,
    classes: Vec<String>,
    bias: Vec<f32>,
    scale: Vec<f32>,
    /// Input-major: `weights[input * classes + class]`.
    weights: Vec<i8>,
}

/// What the model says about one request.
pub struct Prediction<'m> {
    /// Probability of each class, in [`PromptModel::classes`] order.
    pub probabilities: Vec<f32>,
    model: &'m PromptModel,
    /// The prompt's normalised characters.
    chars: Vec<char>,
    /// Each distinct bucket once, with one n-gram that fell in it
    /// (bucket, start, length), to explain a label on demand.
    grams: Vec<(u32, u32, u8)>,
    norm: f32,
    tools: bool,
    image: bool,
}

impl Prediction<'_> {
    /// Whether n-gram `i` says something to a reader: not only spaces and
    /// punctuation (those weigh in the score but explain nothing).
    fn readable(&self, i: usize) -> bool {
        let (_, start, n) = self.grams[i];
        self.chars[start as usize..start as usize + n as usize]
            .iter()
            .any(|c| c.is_alphanumeric())
    }

    /// The n-grams (or `[tools]` / `[image]`) that added most to `class`'s
    /// score, strongest first, at most three.
    pub fn evidence(&self, class: usize) -> Vec<String> {
        let m = self.model;
        let k = m.classes.len();
        let weight = |input: usize| f32::from(m.weights[input * k + class]) * m.scale[class];
        let mut all: Vec<(f32, String)> = Vec::new();
        let mut best: Vec<(f32, usize)> = self
            .grams
            .iter()
            .enumerate()
            .map(|(i, g)| (weight(g.0 as usize) * self.norm, i))
            .filter(|&(v, i)| v > 0.0 && self.readable(i))
            .collect();
        best.sort_by(|a, b| b.0.total_cmp(&a.0));
        for (v, i) in best.into_iter().take(3) {
            let (_, start, n) = self.grams[i];
            let gram = self.chars[start as usize..start as usize + n as usize]
                .iter()
                .collect();
            all.push((v, gram));
        }
        for (on, input, name) in [
            (self.tools, m.buckets, "[tools]"),
            (self.image, m.buckets + 1, "[image]"),
        ] {
            if on && weight(input) > 0.0 {
                all.push((weight(input), name.to_owned()));
            }
        }
        all.sort_by(|a, b| b.0.total_cmp(&a.0));
        all.into_iter().take(3).map(|(_, g)| g).collect()
    }
}

impl PromptModel {
    /// Reads a model file as `train.py` writes it.
    pub fn parse(bytes: &[u8]) -> Result<PromptModel, String> {
        let mut at = 0usize;
        let mut take = |n: usize| -> Result<&[u8], String> {
            let s = bytes
                .get(at..at + n)
                .ok_or_else(|| format!("model file ends early (at byte {at})"))?;
            at += n;
            Ok(s)
        };
        if take(4)? != b"DSPM" {
            return Err("not a distillscope prompt model (no DSPM header)".into());
        }
        let mut header = [0u32; 5];
        for h in &mut header {
            *h = u32::from_le_bytes(take(4)?.try_into().expect("4 bytes"));
        }
        let [version, buckets, max_n, max_chars, classes] = header.map(|v| v as usize);
        if version != 1 || buckets == 0 || max_n == 0 || classes == 0 {
            return Err(format!(
                "unsupported prompt model (version {version}, {buckets} buckets, {classes} classes)"
            ));
        }
        let mut names = Vec::with_capacity(classes);
        let mut bias = Vec::with_capacity(classes);
        let mut scale = Vec::with_capacity(classes);
        for _ in 0..classes {
            let len = take(1)?[0] as usize;
            names.push(String::from_utf8_lossy(take(len)?).into_owned());
            let f = take(8)?;
            bias.push(f32::from_le_bytes(f[0..4].try_into().expect("4 bytes")));
            scale.push(f32::from_le_bytes(f[4..8].try_into().expect("4 bytes")));
        }
        let want = (buckets + 2) * classes;
        let raw = take(want)?;
        let weights = raw.iter().map(|&b| b as i8).collect();
        Ok(PromptModel {
            buckets,
            max_n,
            max_chars,
            classes: names,
            bias,
            scale,
            weights,
        })
    }

    /// The model shipped in assets/, parsed once.
    pub fn builtin() -> &'static PromptModel {
        static MODEL: OnceLock<PromptModel> = OnceLock::new();
        MODEL
            .get_or_init(|| PromptModel::parse(BUILTIN).expect("the shipped prompt model is valid"))
    }

    /// The shipped model file's bytes (part of a taxonomy's fingerprint, so
    /// a retrained model relabels cases as a changed taxonomy does).
    pub fn builtin_bytes() -> &'static [u8] {
        BUILTIN
    }

    /// Class names (category ids), in the model's order.
    pub fn classes(&self) -> &[String] {
        &self.classes
    }

    /// Scores one request: its prompt's text, whether it offered tools and
    /// whether it carried an image.
    pub fn predict(&self, text: &str, tools: bool, image: bool) -> Prediction<'_> {
        let k = self.classes.len();
        // The training script's normalisation: first characters, lower
        // case, white space collapsed, a space each side.
        let head: String = text.chars().take(self.max_chars).collect();
        let lower = head.to_lowercase();
        let mut chars: Vec<char> = vec![' '];
        for (i, word) in lower.split_whitespace().enumerate() {
            if i > 0 {
                chars.push(' ');
            }
            chars.extend(word.chars());
        }
        chars.push(' ');
        let mut grams: Vec<(u32, u32, u8)> = Vec::with_capacity(chars.len() * self.max_n);
        let mut buf = [0u8; 16];
        for n in 1..=self.max_n {
            for start in 0..chars.len().saturating_sub(n - 1) {
                let mut len = 0;
                for c in &chars[start..start + n] {
                    len += c.encode_utf8(&mut buf[len..]).len();
                }
                let bucket = (xxhash_rust::xxh3::xxh3_64(&buf[..len]) % self.buckets as u64) as u32;
                grams.push((bucket, start as u32, n as u8));
            }
        }
        // Each bucket once (presence, not counts), keeping its first n-gram.
        grams.sort_unstable();
        grams.dedup_by_key(|g| g.0);
        let norm = 1.0 / (grams.len().max(1) as f32).sqrt();
        let mut sums = vec![0i32; k];
        let mut shape = vec![0f32; k];
        for &(bucket, _, _) in &grams {
            let row = &self.weights[bucket as usize * k..(bucket as usize + 1) * k];
            for (s, &w) in sums.iter_mut().zip(row) {
                *s += i32::from(w);
            }
        }
        for (on, input) in [(tools, self.buckets), (image, self.buckets + 1)] {
            if on {
                let row = &self.weights[input * k..(input + 1) * k];
                for (s, &w) in shape.iter_mut().zip(row) {
                    *s += f32::from(w);
                }
            }
        }
        let scores: Vec<f32> = (0..k)
            .map(|c| self.bias[c] + self.scale[c] * (sums[c] as f32 * norm + shape[c]))
            .collect();
        let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let exp: Vec<f32> = scores.iter().map(|s| (s - max).exp()).collect();
        let sum: f32 = exp.iter().sum();
        Prediction {
            probabilities: exp.iter().map(|e| e / sum).collect(),
            model: self,
            chars,
            grams,
            norm,
            tools,
            image,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn best(m: &PromptModel, text: &str, tools: bool, image: bool) -> String {
        let p = m.predict(text, tools, image);
        let i = (0..p.probabilities.len())
            .max_by(|&a, &b| p.probabilities[a].total_cmp(&p.probabilities[b]))
            .expect("classes");
        m.classes()[i].clone()
    }

    #[test]
    fn shipped_model_reads_and_sums_to_one() {
        let m = PromptModel::builtin();
        assert_eq!(m.classes().len(), 10);
        let p = m.predict(
            "def add(a, b):\n    \"\"\"Return the sum.\"\"\"",
            false,
            false,
        );
        let sum: f32 = p.probabilities.iter().sum();
        assert!((sum - 1.0).abs() < 1e-4, "{sum}");
        let se = m
            .classes()
            .iter()
            .position(|c| c == "software_engineering")
            .expect("class");
        assert!(!p.evidence(se).is_empty());
    }

    #[test]
    fn reads_prompts_in_other_scripts_and_shapes() {
        let m = PromptModel::builtin();
        // Hand-written, not from the corpus.
        assert_eq!(
            best(
                m,
                "def parse_header(line: str) -> dict:\n    \"\"\" Split a header line into key and value.\n    >>> parse_header('a: b')\n    {'a': 'b'}\n    \"\"\"",
                false,
                false
            ),
            "software_engineering"
        );
        assert_eq!(
            best(m, "what is shown in the left lower lobe?", false, true),
            "vision_computer_use"
        );
    }

    #[test]
    fn refuses_files_that_are_not_models() {
        assert!(PromptModel::parse(b"nope").is_err());
        assert!(PromptModel::parse(&BUILTIN[..100]).is_err());
    }
}
