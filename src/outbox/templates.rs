//! Reply templates, `templates/{ro,ru,en}/NAME.txt`, read from disk at start-up. A template's
//! first line is `Subject: …`, then a blank line, then the body.

use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};
use minijinja::{path_loader, Environment, UndefinedBehavior};
use serde::Serialize;

use super::{Content, Purpose};
use crate::domain::Language;

/// A rendered mail text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The subject line (without the case tag).
    pub subject: String,
    /// The plain-text body.
    pub body: String,
}

/// Renders templates loaded from a folder.
pub struct Renderer {
    env: Environment<'static>,
}

impl Renderer {
    /// Loads the templates under `root` and checks that every one exists in every language
    /// and compiles.
    pub fn load(root: &Path) -> Result<Self> {
        if !root.is_dir() {
            bail!("workflow.templates: {} is not a folder", root.display());
        }
        let mut env = Environment::new();
        env.set_loader(path_loader(root));
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_keep_trailing_newline(true);
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        for language in Language::ALL {
            for purpose in Purpose::ALL {
                let path = template_path(language, purpose.as_str());
                env.get_template(&path).map_err(|e| {
                    anyhow!("workflow.templates: {}: {e:#}", root.join(&path).display())
                })?;
            }
        }
        Ok(Self { env })
    }

    /// Renders every sample in every language, so a template that breaks on real data is
    /// found at start-up rather than when a beneficiary writes.
    pub fn check(&self, samples: &[impl Content]) -> Result<()> {
        for language in Language::ALL {
            for sample in samples {
                self.render(language, sample.purpose().as_str(), sample)
                    .with_context(|| "workflow.templates: a template does not render")?;
            }
        }
        Ok(())
    }

    /// Renders template `name` in `language` with `context`.
    pub fn render(
        &self,
        language: Language,
        name: &str,
        context: impl Serialize,
    ) -> Result<Rendered> {
        let path = template_path(language, name);
        let text = self
            .env
            .get_template(&path)
            .and_then(|t| t.render(context))
            .map_err(|e| anyhow!("{e:#}"))
            .with_context(|| format!("rendering template {path}"))?;
        split_subject(&text).with_context(|| format!("template {path}"))
    }
}

fn template_path(language: Language, name: &str) -> String {
    format!("{}/{name}.txt", language.code())
}

fn split_subject(text: &str) -> Result<Rendered> {
    let (first, rest) = text.split_once('\n').unwrap_or((text, ""));
    let subject = first
        .strip_prefix("Subject:")
        .ok_or_else(|| anyhow!("the first line must be 'Subject: …'"))?
        .trim()
        .to_string();
    // Subjects are one line: a sender's text inside one must not start a new header.
    let subject = subject.replace(['\r', '\n'], " ");
    let body = format!("{}\n", rest.trim_start_matches(['\r', '\n']).trim_end());
    Ok(Rendered { subject, body })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_subject_line_is_split_from_the_body() {
        let r = split_subject("Subject: Hello\n\nDear X,\nbye\n").unwrap();
        assert_eq!(r.subject, "Hello");
        assert_eq!(r.body, "Dear X,\nbye\n");
        assert!(split_subject("Hello\n\nbody").is_err());
    }
}
