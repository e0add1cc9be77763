//! Multipart uploads as the submission endpoints read them: the parser axum runs (multer),
//! then our rules for each part (its name, the file name, the size and content checks).
//! Never a panic; a file that passes is PDF, PNG or JPEG by content, with a clean name.
#![no_main]

use libfuzzer_sys::fuzz_target;
use motcua_domain::attachment::{self, UploadPart};

const BOUNDARY: &str = "motcua-fuzz";

fuzz_target!(|data: &[u8]| {
    let body = bytes::Bytes::copy_from_slice(data);
    let stream = futures_util::stream::once(async move { Ok::<_, std::io::Error>(body) });
    let constraints = multer::Constraints::new().size_limit(
        multer::SizeLimit::new()
            .whole_stream(attachment::MAX_TOTAL_BYTES as u64 + 1024 * 1024)
            .per_field(attachment::MAX_FILE_BYTES as u64),
    );
    let mut multipart = multer::Multipart::with_constraints(stream, BOUNDARY, constraints);
    futures_util::future::FutureExt::now_or_never(async move {
        let mut files = 0;
        while let Ok(Some(field)) = multipart.next_field().await {
            let name = field.name().unwrap_or_default().to_owned();
            let filename = attachment::clean_filename(field.file_name().unwrap_or("tep"));
            assert!(!filename.is_empty() && !filename.contains('/') && !filename.contains('\\'));
            assert!(!filename.starts_with('.'), "{filename}");
            let Ok(bytes) = field.bytes().await else { return };
            match UploadPart::of(&name, "dossier") {
                Some(UploadPart::File { component }) => {
                    assert!(component.is_none_or(|n| (0..100).contains(&n)));
                    if let Ok(kind) = attachment::check_file(&filename, &bytes) {
                        assert_eq!(attachment::sniff(&bytes), Some(kind));
                        files += 1;
                    }
                }
                Some(UploadPart::Json) | None => {}
            }
        }
        let _ = files;
    });
});
