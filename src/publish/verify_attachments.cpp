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

}  // namespace

Status verify_attachments(store::Target& target, const report::Report& report, const SigningKey* key, VerifyResult& result) {
    auto problem = [&](const report::Attachment& a, std::string expected, std::string found, std::string message) {
        result.problems.push_back({"", a.platform, std::move(expected), std::move(found), std::move(message)});
    };
    for (const auto& a : report.attachments) {
        if (!a.digest) continue;  // a plan's signature: nothing to look for
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
        if (key == nullptr || !a.signed_) continue;
        ++result.checks;
        auto bundle = attest::parse_bundle(stored->document);
        if (!bundle) {
            problem(a, "", "", where(a) + ": " + bundle.error().message);
            continue;
        }
        std::string subject_bytes;
        if (bundle->content == attest::Bundle::Content::message_signature) {
            auto m = target.get_manifest(a.subject.str());
            if (!m) return std::move(m).error();
            if (*m) subject_bytes = std::move((*m)->bytes);
        } else if (!statement_names(bundle->payload, a.subject)) {
            problem(a, a.subject.str(), "", where(a) + ": the signed statement does not name " + a.subject.str());
            continue;
        }
        if (auto s = attest::verify_bundle(*bundle, *key, subject_bytes); !s)
            problem(a, "", "", where(a) + " (" + a.digest->str() + "): " + s.error().message);
    }
    if (key != nullptr && report.index) {
        ++result.checks;
        const bool signed_index = std::any_of(report.attachments.begin(), report.attachments.end(), [&](const auto& a) {
            return a.kind == "signature" && a.subject == report.index->digest;
        });
        if (!signed_index)
            result.problems.push_back({"", "", "signature", "missing",
                                       "the index " + report.index->digest.str() + " has no signature in the report"});
    }
    return {};
}

}  // namespace ocx::publish
