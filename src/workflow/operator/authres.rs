//! Authentication-Results (RFC 8601) as the agency's own mail server writes them: a verdict
//! counts only when it is that server's and passes *for the author's domain*. A DKIM pass
//! for any domain at all proves nothing about who wrote `From:` — anyone can sign their own
//! mail — so the signing domain (or the DMARC-checked From domain) must be the author's.

/// Public suffixes of more than one label that matter to the agency's correspondents: a
/// domain directly under one of these is an organisation's own (`asp.gov.md`), never the
/// suffix itself. Every single label (`md`, `com`) is a public suffix too. This is a small
/// built-in subset of the Public Suffix List, kept in code so that no download is needed;
/// a suffix missing here only makes alignment stricter for that domain's subdomains.
const MULTI_LABEL_SUFFIXES: &[&str] = &[
    "gov.md", "com.md", "org.md", "net.md", "edu.md", "co.uk", "org.uk", "gov.uk", "ac.uk",
    "com.ru", "org.ru", "net.ru", "com.ua", "org.ua", "gov.ua", "net.ua", "com.ro", "org.ro",
    "com.tr", "co.il", "com.au", "co.jp",
];

/// One result of the agency's server's header: `method=verdict` and the properties the
/// checks need.
struct Verdict {
    method: String,
    verdict: String,
    header_from: Option<String>,
    header_d: Option<String>,
}

/// The results in the topmost `Authentication-Results` header, when the agency's own server
/// (`authserv_id`) wrote it; `None` for a header of anyone else (or none).
fn verdicts(topmost: Option<&str>, authserv_id: &str) -> Option<Vec<Verdict>> {
    let header = strip_comments(topmost?);
    let mut segments = segments(&header).into_iter();
    let id = segments
        .next()
        .and_then(|tokens| tokens.into_iter().next())
        .unwrap_or_default();
    if !id.eq_ignore_ascii_case(authserv_id) {
        return None;
    }
    let mut out = Vec::new();
    for tokens in segments {
        let Some((method, verdict)) = tokens.first().and_then(|t| t.split_once('=')) else {
            continue;
        };
        let property = |name: &str| {
            tokens
                .iter()
                .skip(1)
                .filter_map(|t| t.split_once('='))
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.trim_end_matches('.').to_ascii_lowercase())
        };
        out.push(Verdict {
            // "dkim/1=pass": a method may carry a version.
            method: method
                .split('/')
                .next()
                .unwrap_or_default()
                .to_ascii_lowercase(),
            verdict: verdict.to_ascii_lowercase(),
            header_from: property("header.from"),
            header_d: property("header.d"),
        });
    }
    Some(out)
}

/// Whether the topmost `Authentication-Results` header was written by the agency's own
/// server (`authserv_id`) and shows a pass aligned with `from_domain`, the author's domain:
/// `dmarc=pass` with `header.from` equal to it, or `dkim=pass` whose `header.d` is it or its
/// organisational domain. A `dmarc=fail` in the same header vetoes any DKIM pass.
pub fn vouched_for(topmost: Option<&str>, authserv_id: &str, from_domain: &str) -> bool {
    let Some(verdicts) = verdicts(topmost, authserv_id) else {
        return false;
    };
    let from = from_domain.trim_end_matches('.').to_ascii_lowercase();
    let mut aligned = false;
    for v in &verdicts {
        match (v.method.as_str(), v.verdict.as_str()) {
            ("dmarc", "pass") => aligned |= v.header_from.as_deref() == Some(from.as_str()),
            ("dkim", "pass") => {
                aligned |= v
                    .header_d
                    .as_deref()
                    .is_some_and(|d| dkim_aligned(d, &from))
            }
            ("dmarc", "fail") => return false,
            _ => {}
        }
    }
    aligned
}

/// Whether the agency's own server says the author's domain did not send this mail: its
/// topmost `Authentication-Results` has `dmarc=fail` for `from_domain` (or for no named
/// domain). Such a `From` is not believed: the mail is not filed as the contact's.
pub fn disowned(topmost: Option<&str>, authserv_id: &str, from_domain: &str) -> bool {
    let from = from_domain.trim_end_matches('.').to_ascii_lowercase();
    verdicts(topmost, authserv_id).is_some_and(|verdicts| {
        verdicts.iter().any(|v| {
            v.method == "dmarc"
                && v.verdict == "fail"
                && v.header_from.as_deref().is_none_or(|d| d == from)
        })
    })
}

/// Relaxed DKIM alignment (RFC 7489 3.1.1) as the agency needs it: the signing domain is the
/// From domain or its organisational domain — never a public suffix, which would let any
/// registrant under it sign for everyone else there.
fn dkim_aligned(signer: &str, from: &str) -> bool {
    if signer.is_empty() || is_public_suffix(signer) {
        return false;
    }
    signer == from || organisational(from) == Some(signer)
}

fn is_public_suffix(domain: &str) -> bool {
    !domain.contains('.') || MULTI_LABEL_SUFFIXES.contains(&domain)
}

/// The domain one label under the public suffix `domain` ends with (`asp.gov.md` for
/// `mail.asp.gov.md`), or `None` when `domain` is itself a suffix.
fn organisational(domain: &str) -> Option<&str> {
    if is_public_suffix(domain) {
        return None;
    }
    // Walk from the full name towards its last label: the first name whose parent is a
    // suffix is the organisation's, so "gov.md" is found before "md" for "asp.gov.md".
    let mut rest = domain;
    while let Some((_, parent)) = rest.split_once('.') {
        if is_public_suffix(parent) {
            return Some(rest);
        }
        rest = parent;
    }
    None
}

/// RFC 8601 allows CFWS comments in parentheses anywhere; they carry no results.
fn strip_comments(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut depth = 0usize;
    for c in s.chars() {
        match c {
            '(' => depth += 1,
            ')' if depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// The header split at `;` into segments of tokens (`name=value`, spaces around `=`
/// closed up, quoted strings unquoted). Quotes are honoured so a `reason="…"` written from
/// attacker-chosen text cannot smuggle a `header.d=` or a `;` of its own.
fn segments(header: &str) -> Vec<Vec<String>> {
    let mut out = vec![Vec::new()];
    let mut token = String::new();
    let mut quoted = false;
    let mut escaped = false;
    // Set after '=' and between a token and a following '=': whitespace there joins.
    let mut joining = false;
    let mut chars = header.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                _ if escaped => {
                    token.push(c);
                    escaped = false;
                }
                '\\' => escaped = true,
                '"' => quoted = false,
                _ => token.push(c),
            }
            continue;
        }
        match c {
            '"' => quoted = true,
            ';' => {
                push_token(&mut out, &mut token);
                out.push(Vec::new());
                joining = false;
            }
            '=' => {
                token.push('=');
                joining = true;
            }
            c if c.is_whitespace() => {
                while chars.peek().is_some_and(|n| n.is_whitespace()) {
                    chars.next();
                }
                if joining || chars.peek() == Some(&'=') {
                    continue;
                }
                push_token(&mut out, &mut token);
            }
            _ => {
                token.push(c);
                joining = false;
            }
        }
    }
    push_token(&mut out, &mut token);
    out
}

fn push_token(out: &mut [Vec<String>], token: &mut String) {
    if !token.is_empty() {
        if let Some(last) = out.last_mut() {
            last.push(std::mem::take(token));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_dmarc_failure_our_server_reports_for_the_author_disowns_a_sender() {
        let id = "mx.egov.md";
        let from = "asp.gov.md";
        assert!(disowned(
            Some("mx.egov.md; dmarc=fail header.from=asp.gov.md"),
            id,
            from
        ));
        assert!(disowned(
            Some("mx.egov.md; spf=fail; dmarc=fail (p=reject)"),
            id,
            from
        ));
        assert!(!disowned(
            Some("mx.egov.md; dmarc=pass header.from=asp.gov.md"),
            id,
            from
        ));
        assert!(!disowned(
            Some("mx.egov.md; dmarc=none header.from=asp.gov.md"),
            id,
            from
        ));
        assert!(!disowned(
            Some("mx.egov.md; dmarc=fail header.from=other.md"),
            id,
            from
        ));
        assert!(!disowned(Some("evil.example; dmarc=fail"), id, from));
        assert!(!disowned(None, id, from));
    }

    const ID: &str = "mx.egov.md";

    fn ok(header: &str, from: &str) -> bool {
        vouched_for(Some(header), ID, from)
    }

    #[test]
    fn only_our_servers_aligned_pass_counts() {
        assert!(ok("mx.egov.md; dkim=pass header.d=egov.md", "egov.md"));
        assert!(ok(
            "mx.egov.md 1; spf=pass; dmarc=pass (p=reject) header.from=egov.md",
            "egov.md"
        ));
        assert!(ok("MX.EGOV.MD; dkim = pass header.d = EGOV.md", "egov.md"));
        assert!(!ok(
            "mx.egov.md; dkim=fail header.d=egov.md; dmarc=fail header.from=egov.md",
            "egov.md"
        ));
        assert!(!ok("mx.egov.md; spf=pass smtp.mailfrom=egov.md", "egov.md"));
        assert!(!ok("evil.example; dkim=pass header.d=egov.md", "egov.md"));
        assert!(!ok(
            "mx.egov.md; none (dkim=pass header.d=egov.md)",
            "egov.md"
        ));
        assert!(!ok(
            "mx.egov.md; none dkim=pass header.d=egov.md",
            "egov.md"
        ));
        assert!(!vouched_for(None, ID, "egov.md"));
    }

    #[test]
    fn dmarc_passes_only_for_the_from_domain() {
        assert!(ok("mx.egov.md; dmarc=pass header.from=egov.md", "egov.md"));
        assert!(ok(
            "mx.egov.md; dmarc=pass header.from=\"Egov.MD\"",
            "egov.md"
        ));
        assert!(!ok(
            "mx.egov.md; dmarc=pass header.from=evil.example",
            "egov.md"
        ));
        assert!(!ok("mx.egov.md; dmarc=pass", "egov.md"));
        assert!(!ok(
            "mx.egov.md; dmarc=pass header.from=mail.egov.md",
            "egov.md"
        ));
    }

    #[test]
    fn dkim_passes_for_the_from_domain_or_its_organisation() {
        assert!(ok("mx.egov.md; dkim=pass header.d=egov.md", "egov.md"));
        assert!(ok(
            "mx.egov.md; dkim=pass header.d=egov.md header.s=sel",
            "mail.egov.md"
        ));
        assert!(ok(
            "mx.egov.md; dkim=pass header.d=asp.gov.md",
            "asp.gov.md"
        ));
        assert!(ok(
            "mx.egov.md; dkim=pass header.d=asp.gov.md",
            "it.asp.gov.md"
        ));
        assert!(ok("mx.egov.md; dkim/1=pass header.d=egov.md", "egov.md"));
        // A sibling or a child of the author's domain signs for itself, not for the author.
        assert!(!ok(
            "mx.egov.md; dkim=pass header.d=mail.egov.md",
            "egov.md"
        ));
        assert!(!ok(
            "mx.egov.md; dkim=pass header.d=mec.gov.md",
            "asp.gov.md"
        ));
    }

    #[test]
    fn a_pass_for_someone_else_or_a_suffix_or_no_domain_is_refused() {
        assert!(!ok(
            "mx.egov.md; dkim=pass header.d=evil.example; dmarc=fail",
            "egov.md"
        ));
        assert!(!ok(
            "mx.egov.md; dkim=pass header.d=evil.example",
            "egov.md"
        ));
        assert!(!ok("mx.egov.md; dkim=pass header.d=gov.md", "asp.gov.md"));
        assert!(!ok("mx.egov.md; dkim=pass header.d=md", "egov.md"));
        assert!(!ok("mx.egov.md; dkim=pass header.d=gov.md", "gov.md"));
        assert!(!ok("mx.egov.md; dkim=pass", "egov.md"));
        assert!(!ok("mx.egov.md; dkim=pass header.i=@egov.md", "egov.md"));
        // An explicit DMARC failure vetoes whatever DKIM said.
        assert!(!ok(
            "mx.egov.md; dkim=pass header.d=egov.md; dmarc=fail header.from=egov.md",
            "egov.md"
        ));
    }

    #[test]
    fn quoted_text_cannot_smuggle_properties() {
        assert!(!ok(
            "mx.egov.md; dkim=pass reason=\"header.d=egov.md; dmarc=pass header.from=egov.md\" header.d=evil.example",
            "egov.md"
        ));
    }

    #[test]
    fn organisational_domains() {
        assert_eq!(organisational("mail.asp.gov.md"), Some("asp.gov.md"));
        assert_eq!(organisational("asp.gov.md"), Some("asp.gov.md"));
        assert_eq!(organisational("egov.md"), Some("egov.md"));
        assert_eq!(organisational("a.b.egov.md"), Some("egov.md"));
        assert_eq!(organisational("gov.md"), None);
        assert_eq!(organisational("md"), None);
    }
}
