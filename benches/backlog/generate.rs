//! The generated backlog: beneficiaries' mail on cases opened beforehand, in three
//! languages, a third with a certificate, some with zips or several attachments, sizes from
//! 2 KiB to 2 MiB. Seeded, so two runs with the same arguments write the same mail.

use std::io::Write;
use std::path::Path;

use base64::Engine;
use rand::rngs::StdRng;
use rand::{Rng, RngCore, SeedableRng};

/// A case opened before the backlog is written.
#[derive(Debug, Clone)]
pub struct BenchCase {
    /// Its reference, as `case open` printed it.
    pub reference: String,
    /// The beneficiary's address.
    pub contact: String,
    /// ro, ru or en.
    pub language: &'static str,
    /// Platform.
    pub service: &'static str,
    /// The information system's name.
    pub system: String,
}

const SERVICES: [&str; 7] = [
    "mpass",
    "msign",
    "mnotify",
    "mdocs",
    "mlog",
    "mpower",
    "mdelivery",
];
const LANGUAGES: [&str; 3] = ["ro", "ru", "en"];

/// The arguments of `case open` for case `i`.
pub fn case_spec(i: usize) -> (String, &'static str, &'static str, String, String) {
    let contact = format!("beneficiar{i:04}@inst{:02}.md", i % 60);
    let institution = format!("Instituția publică nr. {}", i % 60);
    let system = format!("Sistemul informațional {i}");
    (
        contact,
        SERVICES[i % SERVICES.len()],
        LANGUAGES[i % LANGUAGES.len()],
        institution,
        system,
    )
}

/// What went into the backlog.
#[derive(Debug, Default, Clone, Copy)]
pub struct Mix {
    /// Messages written.
    pub messages: usize,
    /// Their bytes.
    pub bytes: u64,
    /// With a certificate file (bare or zipped).
    pub with_certificate: usize,
    /// With a zip.
    pub with_zip: usize,
    /// With three or more attachments.
    pub several_attachments: usize,
    /// Smallest and largest message.
    pub smallest: usize,
    /// Largest message.
    pub largest: usize,
}

/// Writes the messages of the backlog, one at a time, into a Maildir's `new/` (through
/// `tmp/` and a rename, as a delivery agent does), so nothing is held in memory.
pub struct Backlog {
    rng: StdRng,
    certificates: Vec<(String, Vec<u8>)>,
    seed: u64,
}

impl Backlog {
    /// A generator seeded with `seed`, using the test fixtures' certificates.
    pub fn new(seed: u64, fixtures: &Path) -> Self {
        let certificates = ["system-test.cer", "system-prod.pem", "expired.cer"]
            .iter()
            .map(|name| {
                let bytes = std::fs::read(fixtures.join("certs").join(name))
                    .unwrap_or_else(|e| panic!("fixture {name}: {e}"));
                (name.replace(".pem", ".cer"), bytes)
            })
            .collect();
        Self {
            rng: StdRng::seed_from_u64(seed),
            certificates,
            seed,
        }
    }

    /// Writes `n` messages spread over `cases` into `maildir`.
    pub fn write(&mut self, n: usize, cases: &[BenchCase], maildir: &Path) -> Mix {
        let tmp = maildir.join("tmp");
        let new = maildir.join("new");
        std::fs::create_dir_all(&tmp).unwrap();
        std::fs::create_dir_all(&new).unwrap();
        let mut mix = Mix {
            smallest: usize::MAX,
            ..Mix::default()
        };
        for k in 0..n {
            let case = &cases[self.rng.gen_range(0..cases.len())];
            let raw = self.message(k, case, &mut mix);
            let name = format!("{}.M{k}P{}.bench", 1_700_000_000 + k, std::process::id());
            let path = tmp.join(&name);
            let mut file = std::fs::File::create(&path).unwrap();
            file.write_all(&raw).unwrap();
            drop(file);
            std::fs::rename(&path, new.join(format!("{name},S={}", raw.len()))).unwrap();
            mix.messages += 1;
            mix.bytes += raw.len() as u64;
            mix.smallest = mix.smallest.min(raw.len());
            mix.largest = mix.largest.max(raw.len());
        }
        mix
    }

    /// The target size: most mail is a few KiB, some carries scans, a tenth is large.
    fn target_size(&mut self) -> usize {
        let roll: f64 = self.rng.gen();
        let (low, high) = if roll < 0.6 {
            (2 << 10, 20 << 10)
        } else if roll < 0.9 {
            (20 << 10, 200 << 10)
        } else {
            (200 << 10, 2 << 20)
        };
        self.rng.gen_range(low..high)
    }

    /// One beneficiary message on `case`.
    pub fn message(&mut self, k: usize, case: &BenchCase, mix: &mut Mix) -> Vec<u8> {
        let target = self.target_size();
        self.message_of_size(k, case, mix, target)
    }

    /// A typical small message (a few KiB), as for the latency measurement.
    pub fn small_message(&mut self, k: usize, case: &BenchCase, mix: &mut Mix) -> Vec<u8> {
        let target = self.rng.gen_range(2 << 10..8 << 10);
        self.message_of_size(k, case, mix, target)
    }

    fn message_of_size(
        &mut self,
        k: usize,
        case: &BenchCase,
        mix: &mut Mix,
        target: usize,
    ) -> Vec<u8> {
        let boundary = format!("=_bench_{}_{k}_{:016x}", self.seed, self.rng.gen::<u64>());
        let mut attachments: Vec<(String, &str, Vec<u8>)> = Vec::new();
        let roll: f64 = self.rng.gen();
        if roll < 1.0 / 3.0 {
            let (name, bytes) =
                self.certificates[self.rng.gen_range(0..self.certificates.len())].clone();
            mix.with_certificate += 1;
            if self.rng.gen_bool(0.2) {
                attachments.push((
                    "certificat.zip".into(),
                    "application/zip",
                    zip_of(&name, &bytes),
                ));
                mix.with_zip += 1;
            } else {
                attachments.push((name, "application/pkix-cert", bytes));
            }
        }
        if self.rng.gen_bool(0.12) {
            for i in 0..self.rng.gen_range(2..4) {
                let size = self.rng.gen_range(1024..8192);
                attachments.push((
                    format!("anexa-{i}.pdf"),
                    "application/pdf",
                    self.noise(size),
                ));
            }
            mix.several_attachments += usize::from(attachments.len() >= 3);
        }
        let body = self.body(k, case);
        let head = format!(
            "From: {contact}\r\nTo: servicii@egov.md\r\nSubject: Re: [{reference}] {subject}\r\n\
             Message-ID: <bench-{seed}-{k}@{domain}>\r\nDate: Sat, 21 Nov 2026 10:00:00 +0200\r\n\
             MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"{boundary}\"\r\n\r\n",
            contact = case.contact,
            reference = case.reference,
            subject = subject(case.language),
            seed = self.seed,
            domain = case.contact.split('@').nth(1).unwrap_or("example.md"),
        );
        let mut raw = head.into_bytes();
        part(
            &mut raw,
            &boundary,
            "text/plain; charset=utf-8",
            "8bit",
            None,
            body.as_bytes(),
        );
        for (name, mime, bytes) in &attachments {
            part(
                &mut raw,
                &boundary,
                mime,
                "base64",
                Some(name),
                &wrap_base64(bytes),
            );
        }
        // A scanned page makes up the rest of the size (base64 grows by 4/3).
        let closing = boundary.len() + 8;
        let room = target.saturating_sub(raw.len() + closing + 200);
        if room > 0 {
            let scan = self.noise(room * 3 / 4);
            part(
                &mut raw,
                &boundary,
                "application/pdf",
                "base64",
                Some("scan.pdf"),
                &wrap_base64(&scan),
            );
        }
        raw.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        raw
    }

    fn body(&mut self, k: usize, case: &BenchCase) -> String {
        let ip = format!(
            "194.{}.{}.{}",
            1 + k % 200,
            self.rng.gen_range(0..255),
            1 + k % 250
        );
        let serial: String = (0..16)
            .map(|_| format!("{:02X}", self.rng.gen::<u8>()))
            .collect();
        match case.language {
            "ru" => format!(
                "Добрый день,\r\n\r\nНаправляем материалы для подключения к {service}.\r\n\r\n\
                 Название информационной системы: {system}\r\nПубличный IP-адрес: {ip}\r\n\
                 Серийный номер сертификата: {serial}\r\n\r\nС уважением,\r\nОтдел ИТ\r\n",
                service = case.service.to_uppercase(),
                system = case.system,
            ),
            "en" => format!(
                "Hello,\r\n\r\nPlease find the materials for the {service} connection.\r\n\r\n\
                 Information system name: {system}\r\nPublic IP address: {ip}\r\n\
                 Certificate serial number: {serial}\r\n\r\nKind regards,\r\nIT department\r\n",
                service = case.service.to_uppercase(),
                system = case.system,
            ),
            _ => format!(
                "Bună ziua,\r\n\r\nVă transmitem materialele pentru conectarea la {service}.\r\n\r\n\
                 Denumirea sistemului informațional: {system}\r\nAdresa IP publică: {ip}\r\n\
                 Numărul de serie al certificatului: {serial}\r\n\r\nCu stimă,\r\nSecția IT\r\n",
                service = case.service.to_uppercase(),
                system = case.system,
            ),
        }
    }

    fn noise(&mut self, len: usize) -> Vec<u8> {
        let mut bytes = vec![0u8; len];
        self.rng.fill_bytes(&mut bytes);
        bytes
    }
}

fn subject(language: &str) -> &'static str {
    match language {
        "ru" => "Материалы для подключения",
        "en" => "Connection materials",
        _ => "Materiale pentru conectare",
    }
}

fn part(
    raw: &mut Vec<u8>,
    boundary: &str,
    mime: &str,
    encoding: &str,
    filename: Option<&str>,
    body: &[u8],
) {
    raw.extend_from_slice(format!("--{boundary}\r\nContent-Type: {mime}\r\n").as_bytes());
    raw.extend_from_slice(format!("Content-Transfer-Encoding: {encoding}\r\n").as_bytes());
    if let Some(name) = filename {
        raw.extend_from_slice(
            format!("Content-Disposition: attachment; filename=\"{name}\"\r\n").as_bytes(),
        );
    }
    raw.extend_from_slice(b"\r\n");
    raw.extend_from_slice(body);
    raw.extend_from_slice(b"\r\n");
}

fn wrap_base64(bytes: &[u8]) -> Vec<u8> {
    let text = base64::engine::general_purpose::STANDARD.encode(bytes);
    let mut out = Vec::with_capacity(text.len() + text.len() / 38);
    for line in text.as_bytes().chunks(76) {
        out.extend_from_slice(line);
        out.extend_from_slice(b"\r\n");
    }
    out
}

fn zip_of(name: &str, bytes: &[u8]) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut out);
    zip.start_file(name, zip::write::SimpleFileOptions::default())
        .unwrap();
    zip.write_all(bytes).unwrap();
    zip.finish().unwrap();
    out.into_inner()
}
