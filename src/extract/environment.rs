//! TEST or PROD: what a line of text or a file name says an item is for.

use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;

use super::text::fold;

/// The environment an item belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    /// The test (staging) environment.
    Test,
    /// Production.
    Prod,
}

impl Environment {
    /// The stable name, `test` or `prod`.
    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Test => "test",
            Environment::Prod => "prod",
        }
    }
}

static TEST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[^\p{L}])(?:test\w*|staging|тест\w*)").expect("static regex is valid")
});

static PROD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[^\p{L}])(?:prod\w*|live|продуктив\w*|продакшн\w*|производств\w*)")
        .expect("static regex is valid")
});

/// What a line of text (or a file name) says, when it says exactly one of the two.
pub fn environment_of(text: &str) -> Option<Environment> {
    let folded = fold(text);
    match (TEST.is_match(&folded), PROD.is_match(&folded)) {
        (true, false) => Some(Environment::Test),
        (false, true) => Some(Environment::Prod),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_names_say_their_environment() {
        assert_eq!(
            environment_of("IP pentru mediul de testare: 1.2.3.4"),
            Some(Environment::Test)
        );
        assert_eq!(environment_of("sistem-test.cer"), Some(Environment::Test));
        assert_eq!(
            environment_of("IP producție: 1.2.3.4"),
            Some(Environment::Prod)
        );
        assert_eq!(
            environment_of("Продуктивная среда"),
            Some(Environment::Prod)
        );
        assert_eq!(environment_of("тестовый сервер"), Some(Environment::Test));
        assert_eq!(environment_of("test and prod"), None);
        assert_eq!(environment_of("contestation.cer"), None);
    }
}
