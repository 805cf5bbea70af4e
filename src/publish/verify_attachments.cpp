#include "publish/verify_attachments.hpp"

#include <algorithm>

#include <boost/json.hpp>

#include "attest/sigstore.hpp"
#include "publish/referrers.hpp"

namespace ocx::publish {

namespace {

namespace bj = boost::json;

// True when the in-toto statement names `subject` among its subjects.
bool statement_names(std::string_view statement, const Digest& subject) {
    boost::system::error_code ec;
    const bj::value doc = bj::parse(statement, ec);
    const auto* subjects = !ec && doc.is_object() ? doc.get_object().if_contains("subject") : nullptr;
    if (subjects == nullptr || !subjects->is_array()) return false;
    for (const auto& s : subjects->get_array()) {
        const auto* digest = s.is_object() ? s.get_object().if_contains("digest") : nullptr;
        const auto* hex = digest && digest->is_object() ? digest->get_object().if_contains("sha256") : nullptr;
        if (hex && hex->is_string() && hex->get_string() == subject.hex()) return true;
    }
    return false;
}

std::string where(const report::Attachment& a) {
    return a.kind + " of " + (a.platform.empty() ? std::string("the index") : a.platform);
}

// Checks the Sigstore bundle `stored` with `key`: a message signature over `subject`'s manifest
// bytes (read from the target), or an envelope whose statement names `subject`. A problem text,
// "" when it verifies.
Result<std::string> check_signed(store::Target& target, const StoredReferrer& stored, const Digest& subject,
                                 const SigningKey& key) {
    auto bundle = attest::parse_bundle(stored.document);
    if (!bundle) return bundle.error().message;
    std::string subject_bytes;
    if (bundle->content == attest::Bundle::Content::message_signature) {
        auto m = target.get_manifest(subject.str());
        if (!m) return std::move(m).error();
        if (*m) subject_bytes = std::move((*m)->bytes);
    } else if (!statement_names(bundle->payload, subject)) {
        return "the signed statement does not name " + subject.str();
    }
    if (auto s = attest::verify_bundle(*bundle, key, subject_bytes); !s) return s.error().message;
    return std::string();
}

// With a key, the index must carry a message signature that verifies with it — looked up in the
// registry, whatever the report lists or says about it (an edited report proves nothing).
Result<bool> index_signed_with(store::Target& target, const Digest& index, const SigningKey& key) {
    auto listed = list_referrers(target, index);
    if (!listed) return std::move(listed).error();
    for (const auto& r : *listed) {
        if (r.artifact_type != attest::kSigstoreBundle) continue;
        auto stored = read_referrer(target, r.digest);
        if (!stored || !stored->parsed.subject || stored->parsed.subject->digest != index) continue;
        auto bundle = attest::parse_bundle(stored->document);
        if (!bundle || bundle->content != attest::Bundle::Content::message_signature) continue;
        auto problem = check_signed(target, *stored, index, key);
        if (!problem) return std::move(problem).error();
        if (problem->empty()) return true;
    }
    return false;
}

}  // namespace

Status verify_attachments(store::Target& target, const report::Report& report, const SigningKey* key, VerifyResult& result) {
    auto problem = [&](const report::Attachment& a, std::string expected, std::string found, std::string message) {
        result.problems.push_back({"", a.platform, std::move(expected), std::move(found), std::move(message)});
    };
    for (const auto& a : report.attachments) {
        if (!a.digest) {
            // A plan's signature has no digest; a published report's signed thing always has one.
            if (key != nullptr && (a.signed_ || a.artifact_type == attest::kSigstoreBundle))
                problem(a, "digest", "none", where(a) + ": no referrer digest in the report, so nothing to verify");
            continue;
        }
        ++result.checks;
        auto listed = list_referrers(target, a.subject);
        if (!listed) return std::move(listed).error();
        if (std::none_of(listed->begin(), listed->end(), [&](const Referrer& r) { return r.digest == *a.digest; })) {
            problem(a, a.digest->str(), "missing",
                    where(a) + ": " + a.digest->str() + " is not among the referrers of " + a.subject.str());
            continue;
        }
        auto stored = read_referrer(target, *a.digest);
        if (!stored) {
            problem(a, a.digest->str(), "unreadable", where(a) + ": " + stored.error().message);
            continue;
        }
        ++result.checks;
        if (!stored->parsed.subject || stored->parsed.subject->digest != a.subject) {
            problem(a, a.subject.str(), stored->parsed.subject ? stored->parsed.subject->digest.str() : "none",
                    where(a) + ": referrer " + a.digest->str() + " names another subject");
            continue;
        }
        if (stored->parsed.artifact_type != a.artifact_type)
            problem(a, a.artifact_type, stored->parsed.artifact_type,
                    where(a) + ": referrer " + a.digest->str() + " has another artifactType");
        // What is stored decides whether there is a signature to check, not the report's flag.
        const bool is_signed = stored->parsed.artifact_type == attest::kSigstoreBundle;
        if (a.signed_ && !is_signed)
            problem(a, std::string(attest::kSigstoreBundle), stored->parsed.artifact_type,
                    where(a) + ": the report says signed, the referrer " + a.digest->str() + " is not a Sigstore bundle");
        if (key == nullptr || !is_signed) continue;
        ++result.checks;
        auto checked = check_signed(target, *stored, a.subject, *key);
        if (!checked) return std::move(checked).error();
        if (!checked->empty()) problem(a, "", "", where(a) + " (" + a.digest->str() + "): " + *checked);
    }
    if (key != nullptr && report.index) {
        ++result.checks;
        auto signed_index = index_signed_with(target, report.index->digest, *key);
        if (!signed_index) return std::move(signed_index).error();
        if (!*signed_index)
            result.problems.push_back(
                {"", "", "signature", "missing",
                 "the index " + report.index->digest.str() + " has no signature that verifies with this key"});
    }
    return {};
}

}  // namespace ocx::publish
