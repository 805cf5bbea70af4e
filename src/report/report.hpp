#pragma once
// The report (docs/cli.md, "Report (output)"): what a push/release did or would do — every digest
// and every tag move — for downstream jobs. Schema: schemas/report.v1.json. Pure values; the
// JSON writer keeps the documented key order, and the reader accepts what the writer writes
// (finalize and verify read reports back).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "digest/digest.hpp"
#include "util/result.hpp"

namespace ocx::report {

enum class Status { published, planned, partial, failed };
enum class TagKind { primary, cascade, alias };
enum class TagAction { created, moved, unchanged, blocked, skipped, failed };

struct Blob {
    Digest digest;
    std::uint64_t size = 0;
};

struct Archive {
    std::string path;  // "" (null in JSON) when the file is gone: bundled into a removed temporary directory
    Digest digest;
    std::uint64_t size = 0;
    bool created = false;  // made by this run (create) rather than given prebuilt
};

struct BlobCounts {
    std::uint64_t uploaded = 0;
    std::uint64_t skipped = 0;
    std::uint64_t mounted = 0;
    std::uint64_t bytes_uploaded = 0;
};

struct PlatformResult {
    std::string platform;           // canonical platform string
    std::vector<Archive> archives;  // layers in manifest order; "archive" in JSON is the first
    Blob config;
    Blob manifest;
    std::string canonical_tag;  // "" when not written (--no-canonical-tag)
    BlobCounts blobs;
    bool pushed = false;  // blobs + manifest are in place
    /// Blobs this run uploaded for a platform whose manifest it did not write (its archive check
    /// failed beside the upload, or a later step did): nothing refers to them. Written only then.
    std::vector<Blob> uploaded_blobs;
};

struct TagResult {
    std::string tag;
    TagKind kind = TagKind::primary;
    std::optional<Digest> before;
    std::optional<Digest> after;
    TagAction action = TagAction::skipped;
    std::vector<std::string> blocked_by;  // versions that blocked (cascade)
    std::vector<std::string> platforms;   // platforms the block applies to
    std::string reason;                   // why skipped/failed, "" otherwise
};

struct IndexInfo {
    Digest digest;
    std::uint64_t size = 0;
    std::string reference;  // "registry/repo@sha256:…"
};

struct StepError {
    std::string step;     // "push linux/amd64", "tag 1.2", "validate", …
    std::string kind;     // ErrorKind name
    std::string message;  // redacted

    /// The entry for `error` at `step`: the name of its kind and its message.
    static StepError of(std::string step, const Error& error);
};

/// A document attached to a manifest or index as an OCI referrer (docs/cli.md "Supply chain").
struct Attachment {
    std::string kind;              // "sbom", "sbom-attestation", "provenance", "signature"
    std::string artifact_type;     // the referrer manifest's artifactType
    std::optional<Digest> digest;  // the referrer manifest; nullopt for a signature a dry run would make
    Digest subject;                // the platform manifest or the index it is about
    std::string platform;          // the subject's platform; "" for the index
    bool signed_ = false;
    std::string action;  // "attached", "existing" (a rerun found it), "planned" (dry run)
};

struct Report {
    Status status = Status::failed;
    bool dry_run = false;
    bool offline = false;
    std::string package;  // "registry/repo" or "oci:DIR"
    std::string tag;      // the primary tag as published
    std::optional<IndexInfo> index;
    std::vector<PlatformResult> platforms;
    std::vector<TagResult> tags;
    std::vector<StepError> errors;
    std::vector<Attachment> attachments;  // written only when non-empty
};

std::string_view to_string(Status s);
std::string_view to_string(TagKind k);
std::string_view to_string(TagAction a);

/// Pretty JSON in the documented key order, ending in a newline. Secrets are redacted.
std::string to_json(const Report& report);
/// Reads a report written by to_json (finalize, verify). Errors name `source` and the JSON path.
Result<Report> parse(std::string_view text, std::string_view source);

/// Exit code for a finished report: 0 for published/planned, else the first error's kind.
int exit_code_for(const Report& report);

/// GitLab's dotenv reader (artifacts:reports:dotenv) takes one KEY=VALUE per line and keeps
/// quotes and backslashes as they are: a value holding a line break (CR or LF) cannot be written
/// faithfully, so it is refused — an ErrorKind::usage error naming `key` and quoting the
/// value escaped — rather than changed.
ocx::Status check_dotenv_value(std::string_view key, std::string_view value);

}  // namespace ocx::report
