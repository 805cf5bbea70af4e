// Report JSON (docs/cli.md "Report (output)", schemas/report.v1.json). Key order is fixed by
// building each object in documented order; boost::json keeps insertion order.
#include "report/report.hpp"

#include <array>

#include "util/escape.hpp"
#include "util/json.hpp"
#include "util/redact.hpp"

namespace ocx::report {

namespace bj = boost::json;

namespace {
constexpr std::array<std::string_view, 4> kStatus{"published", "planned", "partial", "failed"};
constexpr std::array<std::string_view, 3> kKinds{"primary", "cascade", "alias"};
constexpr std::array<std::string_view, 6> kActions{"created", "moved", "unchanged", "blocked", "skipped", "failed"};

template <class E, std::size_t N>
std::optional<E> from_name(const std::array<std::string_view, N>& names, std::string_view s) {
    for (std::size_t i = 0; i < N; ++i)
        if (names[i] == s) return static_cast<E>(i);
    return std::nullopt;
}

bj::value digest_or_null(const std::optional<Digest>& d) {
    if (!d) return nullptr;
    return bj::value(d->str());
}

bj::object blob_json(const Blob& b) {
    bj::object o;
    o["digest"] = b.digest.str();
    o["size"] = b.size;
    return o;
}

bj::object archive_json(const Archive& a) {
    bj::object o;
    // null: the bundle lived in a temporary directory that is gone (release without output_dir).
    if (a.path.empty())
        o["path"] = nullptr;
    else
        o["path"] = a.path;
    o["digest"] = a.digest.str();
    o["size"] = a.size;
    o["created"] = a.created;
    return o;
}

// "uploaded_blobs": only for a platform whose manifest was not written, and only when blobs went up
// for it (docs/cli.md "Report (output)").
void write_uploaded_blobs(bj::object& po, const PlatformResult& p) {
    if (p.pushed || p.uploaded_blobs.empty()) return;
    bj::array blobs;
    for (const auto& b : p.uploaded_blobs) blobs.emplace_back(blob_json(b));
    po["uploaded_blobs"] = std::move(blobs);
}

bj::array strings(const std::vector<std::string>& v) {
    bj::array a;
    for (const auto& s : v) a.emplace_back(s);
    return a;
}
}  // namespace

std::string_view to_string(Status s) { return kStatus[static_cast<std::size_t>(s)]; }
std::string_view to_string(TagKind k) { return kKinds[static_cast<std::size_t>(k)]; }
std::string_view to_string(TagAction a) { return kActions[static_cast<std::size_t>(a)]; }

namespace {
// "attachments" (docs/cli.md "Report (output)"): one object per referrer, in attach order.
bj::array attachments_json(const std::vector<Attachment>& list) {
    bj::array out;
    for (const auto& a : list) {
        bj::object o;
        o["kind"] = a.kind;
        o["artifact_type"] = a.artifact_type;
        o["digest"] = digest_or_null(a.digest);
        o["subject"] = a.subject.str();
        o["platform"] = a.platform.empty() ? bj::value(nullptr) : bj::value(a.platform);
        o["signed"] = a.signed_;
        o["action"] = a.action;
        out.push_back(std::move(o));
    }
    return out;
}

}  // namespace

StepError StepError::of(std::string step, const Error& error) {
    return {std::move(step), std::string(ocx::to_string(error.kind)), error.message};
}

std::string to_json(const Report& r) {
    bj::object o;
    o["schema"] = 1;
    o["status"] = to_string(r.status);
    o["dry_run"] = r.dry_run;
    if (r.offline) o["offline"] = true;
    o["package"] = r.package;
    o["tag"] = r.tag;
    if (r.index) {
        bj::object idx;
        idx["digest"] = r.index->digest.str();
        idx["size"] = r.index->size;
        idx["reference"] = r.index->reference;
        o["index"] = std::move(idx);
    } else {
        o["index"] = nullptr;
    }
    bj::array platforms;
    for (const auto& p : r.platforms) {
        bj::object po;
        po["platform"] = p.platform;
        if (p.archives.empty())
            po["archive"] = nullptr;
        else
            po["archive"] = archive_json(p.archives.front());
        if (p.archives.size() > 1) {
            bj::array layers;
            for (const auto& a : p.archives) layers.emplace_back(archive_json(a));
            po["layers"] = std::move(layers);
        }
        po["config"] = blob_json(p.config);
        po["manifest"] = blob_json(p.manifest);
        po["canonical_tag"] = p.canonical_tag.empty() ? bj::value(nullptr) : bj::value(p.canonical_tag);
        bj::object blobs;
        blobs["uploaded"] = p.blobs.uploaded;
        blobs["skipped"] = p.blobs.skipped;
        blobs["mounted"] = p.blobs.mounted;
        blobs["bytes_uploaded"] = p.blobs.bytes_uploaded;
        po["blobs"] = std::move(blobs);
        po["pushed"] = p.pushed;
        write_uploaded_blobs(po, p);
        platforms.emplace_back(std::move(po));
    }
    o["platforms"] = std::move(platforms);
    bj::array tags;
    for (const auto& t : r.tags) {
        bj::object to;
        to["tag"] = t.tag;
        to["kind"] = to_string(t.kind);
        to["before"] = digest_or_null(t.before);
        to["after"] = digest_or_null(t.after);
        to["action"] = to_string(t.action);
        if (!t.blocked_by.empty()) to["blocked_by"] = strings(t.blocked_by);
        if (!t.platforms.empty()) to["platforms"] = strings(t.platforms);
        if (!t.reason.empty()) to["reason"] = redact(t.reason);
        tags.emplace_back(std::move(to));
    }
    o["tags"] = std::move(tags);
    bj::array errors;
    for (const auto& e : r.errors) {
        bj::object eo;
        eo["step"] = e.step;
        eo["kind"] = e.kind;
        eo["message"] = redact(e.message);
        errors.emplace_back(std::move(eo));
    }
    o["errors"] = std::move(errors);
    if (!r.attachments.empty()) o["attachments"] = attachments_json(r.attachments);
    return redact(json::pretty(o));
}

namespace {
std::optional<Digest> read_digest(json::ObjectReader& rd, std::string_view key, bool required, json::Diagnostics& diag) {
    const auto* v = rd.get(key);
    if (v == nullptr) {
        if (required) diag.add(rd.path_of(key), "required key is missing");
        return std::nullopt;
    }
    if (v->is_null() && !required) return std::nullopt;
    if (!v->is_string()) {
        diag.add(rd.path_of(key), "expected a digest string");
        return std::nullopt;
    }
    auto d = Digest::parse(v->get_string());
    if (!d) {
        diag.add(rd.path_of(key), d.error().message);
        return std::nullopt;
    }
    return *d;
}

std::uint64_t read_u64(json::ObjectReader& rd, std::string_view key, json::Diagnostics& diag) {
    auto v = rd.integer(key, true);
    if (v && *v < 0) diag.add(rd.path_of(key), "must not be negative");
    return v && *v >= 0 ? static_cast<std::uint64_t>(*v) : 0;
}

std::vector<std::string> read_strings(json::ObjectReader& rd, std::string_view key, json::Diagnostics& diag) {
    std::vector<std::string> out;
    const auto* v = rd.get(key);
    if (v == nullptr) return out;
    if (!v->is_array()) {
        diag.add(rd.path_of(key), "expected an array of strings");
        return out;
    }
    for (const auto& s : v->get_array())
        if (s.is_string()) out.emplace_back(s.get_string());
    return out;
}

Archive read_archive(const bj::value& v, const std::string& path, json::Diagnostics& diag) {
    Archive a;
    json::ObjectReader rd(v, path, diag);
    if (const auto* p = rd.get("path"); p != nullptr && p->is_null())
        a.path.clear();
    else
        a.path = rd.string("path", true).value_or("");
    if (auto d = read_digest(rd, "digest", true, diag)) a.digest = *d;
    a.size = read_u64(rd, "size", diag);
    a.created = rd.boolean("created", false).value_or(false);
    return a;
}

Blob read_blob(json::ObjectReader& parent, std::string_view key, json::Diagnostics& diag) {
    Blob b;
    const auto* v = parent.get(key);
    if (v == nullptr) {
        diag.add(parent.path_of(key), "required key is missing");
        return b;
    }
    json::ObjectReader rd(*v, parent.path_of(key), diag);
    if (auto d = read_digest(rd, "digest", true, diag)) b.digest = *d;
    b.size = read_u64(rd, "size", diag);
    return b;
}

// The optional "uploaded_blobs" of a platform (write_uploaded_blobs).
std::vector<Blob> read_uploaded_blobs(json::ObjectReader& platform, const std::string& path, json::Diagnostics& diag) {
    std::vector<Blob> out;
    const auto* v = platform.get("uploaded_blobs");
    if (v == nullptr) return out;
    if (!v->is_array()) {
        diag.add(path + "/uploaded_blobs", "expected an array of blobs");
        return out;
    }
    std::size_t i = 0;
    for (const auto& bv : v->get_array()) {
        json::ObjectReader rd(bv, json::child_path(path + "/uploaded_blobs", i++), diag);
        Blob b;
        if (auto d = read_digest(rd, "digest", true, diag)) b.digest = *d;
        b.size = read_u64(rd, "size", diag);
        out.push_back(b);
    }
    return out;
}

/// One entry of /platforms.
PlatformResult read_platform(const boost::json::value& pv, const std::string& path, json::Diagnostics& diag) {
    json::ObjectReader pr(pv, path, diag);
    PlatformResult p;
    p.platform = pr.string("platform", true).value_or("");
    if (const auto* layers = pr.get("layers"); layers != nullptr && layers->is_array()) {
        std::size_t j = 0;
        for (const auto& lv : layers->get_array())
            p.archives.push_back(read_archive(lv, json::child_path(path + "/layers", j++), diag));
    } else if (const auto* a = pr.get("archive"); a != nullptr && !a->is_null()) {
        p.archives.push_back(read_archive(*a, path + "/archive", diag));
    }
    p.config = read_blob(pr, "config", diag);
    p.manifest = read_blob(pr, "manifest", diag);
    if (const auto* c = pr.get("canonical_tag"); c != nullptr && !c->is_null()) {
        if (c->is_string())
            p.canonical_tag = std::string(c->get_string());
        else
            diag.add(path + "/canonical_tag", "expected a string or null");
    }
    if (const auto* b = pr.get("blobs"); b != nullptr) {
        json::ObjectReader br(*b, path + "/blobs", diag);
        p.blobs.uploaded = read_u64(br, "uploaded", diag);
        p.blobs.skipped = read_u64(br, "skipped", diag);
        p.blobs.mounted = read_u64(br, "mounted", diag);
        p.blobs.bytes_uploaded = read_u64(br, "bytes_uploaded", diag);
    }
    p.pushed = pr.boolean("pushed", false).value_or(false);
    p.uploaded_blobs = read_uploaded_blobs(pr, path, diag);
    return p;
}

/// One entry of /tags.
TagResult read_tag(const boost::json::value& tv, const std::string& path, json::Diagnostics& diag) {
    json::ObjectReader tr(tv, path, diag);
    TagResult t;
    t.tag = tr.string("tag", true).value_or("");
    if (auto k = tr.string("kind", true)) {
        if (auto kind = from_name<TagKind>(kKinds, *k))
            t.kind = *kind;
        else
            diag.add(path + "/kind", "unknown kind \"" + *k + "\"");
    }
    t.before = read_digest(tr, "before", false, diag);
    t.after = read_digest(tr, "after", false, diag);
    if (auto a = tr.string("action", true)) {
        if (auto action = from_name<TagAction>(kActions, *a))
            t.action = *action;
        else
            diag.add(path + "/action", "unknown action \"" + *a + "\"");
    }
    t.blocked_by = read_strings(tr, "blocked_by", diag);
    t.platforms = read_strings(tr, "platforms", diag);
    t.reason = tr.string("reason", false).value_or("");
    return t;
}

}  // namespace

namespace {
std::vector<Attachment> read_attachments(const bj::value& v, json::Diagnostics& diag) {
    std::vector<Attachment> out;
    if (!v.is_array()) {
        diag.add("/attachments", "expected an array");
        return out;
    }
    std::size_t i = 0;
    for (const auto& av : v.get_array()) {
        json::ObjectReader rd(av, json::child_path("/attachments", i++), diag);
        Attachment a;
        a.kind = rd.string("kind", true).value_or("");
        a.artifact_type = rd.string("artifact_type", true).value_or("");
        a.digest = read_digest(rd, "digest", false, diag);
        if (auto d = read_digest(rd, "subject", true, diag)) a.subject = *d;
        if (const auto* p = rd.get("platform"); p != nullptr && !p->is_null())
            a.platform = rd.string("platform", false).value_or("");
        a.signed_ = rd.boolean("signed", true).value_or(false);
        a.action = rd.string("action", false).value_or("");
        out.push_back(std::move(a));
    }
    return out;
}

}  // namespace

Result<Report> parse(std::string_view text, std::string_view source) {
    auto root = json::parse(text, source);
    if (!root) return std::move(root).error();
    json::Diagnostics diag;
    Report r;
    json::ObjectReader rd(*root, "", diag);
    if (auto schema = rd.integer("schema", true); schema && *schema != 1)
        diag.add("/schema", "unsupported report schema " + std::to_string(*schema) + " (this tool reads 1)");
    if (auto s = rd.string("status", true)) {
        if (auto st = from_name<Status>(kStatus, *s))
            r.status = *st;
        else
            diag.add("/status", "unknown status \"" + *s + "\"");
    }
    r.dry_run = rd.boolean("dry_run", true).value_or(false);
    r.offline = rd.boolean("offline", false).value_or(false);
    r.package = rd.string("package", true).value_or("");
    r.tag = rd.string("tag", true).value_or("");
    if (const auto* idx = rd.get("index"); idx != nullptr && !idx->is_null()) {
        json::ObjectReader ir(*idx, "/index", diag);
        IndexInfo info;
        if (auto d = read_digest(ir, "digest", true, diag)) info.digest = *d;
        info.size = read_u64(ir, "size", diag);
        info.reference = ir.string("reference", true).value_or("");
        r.index = info;
    }
    if (const auto* ps = rd.get("platforms"); ps != nullptr && ps->is_array()) {
        std::size_t i = 0;
        for (const auto& pv : ps->get_array()) {
            std::string path = json::child_path("/platforms", i++);
            r.platforms.push_back(read_platform(pv, path, diag));
        }
    } else {
        diag.add("/platforms", "required array is missing");
    }
    if (const auto* ts = rd.get("tags"); ts != nullptr && ts->is_array()) {
        std::size_t i = 0;
        for (const auto& tv : ts->get_array()) {
            std::string path = json::child_path("/tags", i++);
            r.tags.push_back(read_tag(tv, path, diag));
        }
    }
    if (const auto* es = rd.get("errors"); es != nullptr && es->is_array()) {
        std::size_t i = 0;
        for (const auto& ev : es->get_array()) {
            json::ObjectReader er(ev, json::child_path("/errors", i++), diag);
            r.errors.push_back({er.string("step", false).value_or(""), er.string("kind", false).value_or(""),
                                er.string("message", false).value_or("")});
        }
    }
    if (const auto* as = rd.get("attachments")) r.attachments = read_attachments(*as, diag);
    if (!diag.empty()) return diag.to_error(source);
    return r;
}

int exit_code_for(const Report& r) {
    if (r.status == Status::published || r.status == Status::planned) return 0;
    if (!r.errors.empty())
        if (auto kind = error_kind_from_string(r.errors.front().kind)) return exit_code(*kind);
    return exit_code(ErrorKind::unavailable);
}

ocx::Status check_dotenv_value(std::string_view key, std::string_view value) {
    if (value.find_first_of("\r\n") == std::string_view::npos) return {};
    return make_error(ErrorKind::usage, "\"" + escape_text(value) + "\" holds a line break, which the GitLab dotenv value " +
                                            std::string(key) +
                                            " cannot carry (GitLab reads one KEY=VALUE per line, with no quoting or "
                                            "escapes)");
}

}  // namespace ocx::report
