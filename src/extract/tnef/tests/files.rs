//! What is read out of well-formed streams: files, names, embedded messages.

use super::*;

#[test]
fn a_file_is_returned_with_its_title_and_bytes() {
    let stream = Stream::new()
        .message_header()
        .file("report.pdf", b"%PDF-1.7")
        .bytes();
    assert_eq!(
        attachments(&stream),
        Ok(vec![file("report.pdf", b"%PDF-1.7")])
    );
}

#[test]
fn two_files_are_returned_in_the_order_they_were_attached() {
    let stream = Stream::new()
        .message_header()
        .file("first.txt", b"one")
        .file("second.txt", b"two")
        .bytes();
    let expected = vec![file("first.txt", b"one"), file("second.txt", b"two")];
    assert_eq!(attachments(&stream), Ok(expected));
}

#[test]
fn a_certificate_inside_winmail_dat_is_returned_with_its_long_name() {
    let expected = file("Certificat semnătură €.cer", b"-----BEGIN CERTIFICATE-----");
    assert_eq!(attachments(&certificate_stream()), Ok(vec![expected]));
}

#[test]
fn a_long_name_in_string8_also_overrides_the_title() {
    let properties = Properties::default().string8(PR_ATTACH_LONG_FILENAME, "long name.txt");
    let stream = Stream::new()
        .start_attachment()
        .title(b"LONGNA~1.TXT\0")
        .data(b"x")
        .properties(properties)
        .bytes();
    assert_eq!(attachments(&stream), Ok(vec![file("long name.txt", b"x")]));
}

#[test]
fn a_file_whose_bytes_are_only_in_pr_attach_data_bin_is_returned() {
    let properties = Properties::default().binary(PR_ATTACH_DATA, b"\x89PNG\r\n");
    let stream = Stream::new()
        .start_attachment()
        .title(b"image.png\0")
        .properties(properties)
        .bytes();
    assert_eq!(
        attachments(&stream),
        Ok(vec![file("image.png", b"\x89PNG\r\n")])
    );
}

#[test]
fn pr_attach_filename_names_a_file_that_has_no_title() {
    let properties = Properties::default()
        .unicode(PR_ATTACH_FILENAME, "notes.txt")
        .binary(PR_ATTACH_DATA, b"hello");
    let stream = Stream::new()
        .start_attachment()
        .properties(properties)
        .bytes();
    assert_eq!(attachments(&stream), Ok(vec![file("notes.txt", b"hello")]));
}

#[test]
fn a_file_without_any_name_is_returned_nameless() {
    let stream = Stream::new().start_attachment().data(b"anonymous").bytes();
    let expected = TnefAttachment {
        name: None,
        data: b"anonymous".to_vec(),
    };
    assert_eq!(attachments(&stream), Ok(vec![expected]));
}

#[test]
fn an_embedded_message_is_returned_as_its_raw_stream() {
    let inner = Stream::new().file("inner.txt", b"nested").bytes();
    let mut object = IID_IMESSAGE.to_vec();
    object.extend_from_slice(&inner);
    let properties = Properties::default()
        .unicode(PR_ATTACH_LONG_FILENAME, "Forwarded.msg")
        .sized(PT_OBJECT, PR_ATTACH_DATA, &object);
    let stream = Stream::new()
        .start_attachment()
        .properties(properties)
        .bytes();
    assert_eq!(
        attachments(&stream),
        Ok(vec![file("Forwarded.msg", &inner)])
    );
}

#[test]
fn a_wrong_checksum_does_not_reject_the_file() {
    let stream = Stream::new()
        .start_attachment()
        .title(b"a.txt\0")
        .attribute_with_checksum(LEVEL_ATTACHMENT, ATT_ATTACH_DATA, b"abc", 0xBEEF)
        .bytes();
    assert_eq!(attachments(&stream), Ok(vec![file("a.txt", b"abc")]));
}

#[test]
fn bytes_without_the_signature_are_not_tnef() {
    let mut stream = Stream::new().file("a.txt", b"a").bytes();
    assert!(is_tnef(&stream));
    stream[0] ^= 0xFF;
    assert!(!is_tnef(&stream));
    assert_eq!(attachments(&stream), Err(TnefError::NotTnef));
    assert_eq!(attachments(b"Hello, world"), Err(TnefError::NotTnef));
    assert_eq!(attachments(&[0x78, 0x9F, 0x3E]), Err(TnefError::NotTnef));
    assert_eq!(attachments(&[]), Err(TnefError::NotTnef));
}

#[test]
fn a_stream_with_only_a_header_holds_no_files() {
    assert_eq!(attachments(&Stream::new().bytes()), Ok(vec![]));
    let message_only = Stream::new().message_header().bytes();
    assert_eq!(attachments(&message_only), Ok(vec![]));
}
