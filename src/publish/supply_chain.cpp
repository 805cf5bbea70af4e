#include "publish/supply_chain.hpp"

#include "attest/sbom.hpp"
#include "attest/sigstore.hpp"
#include "oci/media_types.hpp"
#include "publish/referrers.hpp"
#include "util/log.hpp"

namespace ocx::publish {

namespace {

attest::Document unsigned_document(std::string kind, std::string_view type, std::string bytes) {
    attest::Document d;
    d.kind = std::move(kind);
    d.artifact_type = std::string(type);
    d.identity = Digest::of(bytes).str();
    d.bytes = std::move(bytes);
    return d;
}

// The bytes a signature covers: the subject's manifest as stored (its SHA-256 is the subject).
Result<std::string> subject_bytes(store::Target& target, const Digest& subject) {
    auto m = target.get_manifest(subject.str());
    if (!m) return std::move(m).error();
    if (!*m) return make_error(ErrorKind::not_found, subject.str() + " is not in " + target.describe());
    return std::move((*m)->bytes);
}

// Attaches one document (or, in a dry run, records it as planned) and reports it.
bool attach_one(store::Target* target, const oci::Descriptor& subject, const std::string& platform,
                const Result<attest::Document>& document, const WriteOptions& write, bool dry_run, report::Report& rep) {
    const std::string where = platform.empty() ? "index" : platform;
    if (!document) {
        rep.errors.push_back({"attach " + where, std::string(to_string(document.error().kind)), document.error().message});
        return false;
    }
    report::Attachment a{document->kind, document->artifact_type, std::nullopt, subject.digest,
                         platform,       document->signed_,       "planned"};
    if (dry_run || target == nullptr) {
        // A signature's bytes are fresh each time: only an unsigned document's referrer is known now.
        if (!document->signed_) a.digest = referrer_for(*document, subject).digest;
        rep.attachments.push_back(a);
        log::info("[" + where + "] would attach " + document->kind + " to " + subject.digest.str());
        return true;
    }
    auto done = attach(*target, subject, *document, write);
    if (!done) {
        rep.errors.push_back(
            {"attach " + document->kind + " " + where, std::string(to_string(done.error().kind)), done.error().message});
        return false;
    }
    a.digest = done->digest;
    a.action = done->way == AttachWay::existing ? "existing" : "attached";
    rep.attachments.push_back(a);
    const char* how = done->way == AttachWay::existing        ? "already attached"
                      : done->way == AttachWay::referrers_api ? "attached (Referrers API)"
                                                              : "attached (fallback tag ";
    log::info("[" + where + "] " + document->kind + " " + done->digest.str() + " " + how +
              (done->way == AttachWay::fallback_tag ? fallback_tag(subject.digest) + ")" : ""));
    return true;
}

Result<attest::Document> signature_of(store::Target* target, const Digest& subject, const SupplyChain& chain, bool dry_run) {
    if (dry_run || target == nullptr) {
        attest::Document d;
        d.kind = "signature";
        d.artifact_type = std::string(attest::kSigstoreBundle);
        d.signed_ = true;
        return d;
    }
    auto bytes = subject_bytes(*target, subject);
    if (!bytes) return std::move(bytes).error();
    return attest::message_signature(*chain.key, *bytes, chain.created);
}

}  // namespace

bool attach_platforms(store::Target* target, const std::vector<PlatformSubject>& platforms, const SupplyChain& chain,
                      const WriteOptions& write, bool dry_run, report::Report& rep) {
    bool ok = true;
    for (const auto& p : platforms) {
        const oci::Descriptor subject{std::string(oci::kImageManifest), p.manifest, p.size, {}};
        if (p.sbom) {
            ok = attach_one(target, subject, p.platform, unsigned_document("sbom", attest::kCycloneDx, *p.sbom), write,
                            dry_run, rep) &&
                 ok;
            if (chain.key != nullptr) {
                auto signed_sbom = [&]() -> Result<attest::Document> {
                    auto st = attest::in_toto_statement({{rep.package, p.manifest}}, attest::kCycloneDxPredicate, *p.sbom);
                    if (!st) return std::move(st).error().context("SBOM of " + p.platform);
                    return attest::dsse_attestation(*chain.key, *st, attest::kCycloneDxPredicate, "sbom-attestation",
                                                    chain.created);
                }();
                ok = attach_one(target, subject, p.platform, signed_sbom, write, dry_run, rep) && ok;
            }
        }
        if (chain.key != nullptr && chain.sign_platforms)
            ok = attach_one(target, subject, p.platform, signature_of(target, p.manifest, chain, dry_run), write, dry_run,
                            rep) &&
                 ok;
    }
    return ok;
}

bool attach_index(store::Target* target, const SupplyChain& chain, bool provenance, const std::string& tag,
                  const WriteOptions& write, bool dry_run, report::Report& rep) {
    if (!rep.index || (chain.key == nullptr && !provenance)) return true;
    const oci::Descriptor subject{std::string(oci::kImageIndex), rep.index->digest, rep.index->size, {}};
    bool ok = true;
    if (chain.key != nullptr)
        ok =
            attach_one(target, subject, "", signature_of(target, subject.digest, chain, dry_run), write, dry_run, rep) && ok;
    if (provenance) {
        std::vector<attest::StatementSubject> subjects{{rep.package, rep.index->digest}};
        attest::ProvenanceInputs in{rep.package, tag, {}, chain.tool_version};
        for (const auto& p : rep.platforms) {
            subjects.push_back({rep.package, p.manifest.digest});
            in.platforms.push_back(p.platform);
        }
        auto document = [&]() -> Result<attest::Document> {
            auto st = attest::in_toto_statement(subjects, attest::kSlsaProvenance, attest::slsa_provenance(in, chain.ci));
            if (!st) return std::move(st).error();
            if (chain.key != nullptr)
                return attest::dsse_attestation(*chain.key, *st, attest::kSlsaProvenance, "provenance", chain.created);
            return unsigned_document("provenance", attest::kInToto, std::move(*st));
        }();
        ok = attach_one(target, subject, "", document, write, dry_run, rep) && ok;
    }
    return ok;
}

}  // namespace ocx::publish
