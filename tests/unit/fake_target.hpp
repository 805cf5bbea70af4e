#pragma once
// In-memory Target for unit tests of the publishing seam: blobs, manifests by digest, tags.
// Counts calls and can be told to fail writes of a given tag. Safe to call from several threads,
// as release's uploaders do (a real Target is), under one lock.

#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <vector>

#include "store/target.hpp"

namespace ocx::testing {

class FakeTarget : public store::Target {
public:
    std::map<std::string, std::string> blobs;          // digest -> bytes
    std::map<std::string, store::Manifest> manifests;  // digest -> manifest
    std::map<std::string, std::string> tags;           // tag -> digest
    std::set<std::string> fail_tags;                   // put_manifest(tag) fails for these
    bool repository_exists = true;
    int uploads = 0, puts = 0, gets = 0, lists = 0;
    std::vector<std::string> calls;  // "get REF" / "put REF", in order

    std::string describe() const override { return "fake/repo"; }
    Result<bool> blob_exists(const Digest& d) override {
        std::lock_guard lock(mu_);
        return blobs.count(d.str()) != 0;
    }
    Result<std::uint64_t> upload_blob(const store::BlobSource& b) override {
        std::lock_guard lock(mu_);
        ++uploads;
        std::string bytes = b.bytes;
        if (!b.path.empty()) {
            std::ifstream in(b.path, std::ios::binary);
            std::ostringstream ss;
            ss << in.rdbuf();
            bytes = ss.str();
        }
        if (Digest::of(bytes) != b.digest) return make_error(ErrorKind::data, "digest mismatch");
        blobs[b.digest.str()] = bytes;
        repository_exists = true;
        return static_cast<std::uint64_t>(bytes.size());
    }
    Result<bool> mount_blob(const Digest&, std::string_view) override { return false; }
    Status fetch_blob(const Digest& d, const store::ByteSink& sink) override {
        std::lock_guard lock(mu_);
        auto it = blobs.find(d.str());
        if (it == blobs.end()) return make_error(ErrorKind::not_found, "blob " + d.str());
        return sink(it->second.data(), it->second.size());
    }
    Result<std::optional<store::Manifest>> get_manifest(std::string_view ref) override {
        std::lock_guard lock(mu_);
        ++gets;
        calls.push_back("get " + std::string(ref));
        std::string digest(ref);
        if (ref.substr(0, 7) != "sha256:") {
            auto t = tags.find(std::string(ref));
            if (t == tags.end()) return std::optional<store::Manifest>{};
            digest = t->second;
        }
        auto m = manifests.find(digest);
        if (m == manifests.end()) return std::optional<store::Manifest>{};
        return std::optional<store::Manifest>{m->second};
    }
    Status put_manifest(std::string_view ref, const store::Manifest& m) override {
        std::lock_guard lock(mu_);
        ++puts;
        calls.push_back("put " + std::string(ref));
        if (fail_tags.count(std::string(ref)) != 0)
            return make_error(ErrorKind::unavailable, "refused write of " + std::string(ref));
        if (Digest::of(m.bytes) != m.digest) return make_error(ErrorKind::data, "manifest digest mismatch");
        manifests[m.digest.str()] = m;
        if (ref.substr(0, 7) != "sha256:") tags[std::string(ref)] = m.digest.str();
        repository_exists = true;
        return {};
    }
    Result<std::optional<std::vector<std::string>>> list_tags() override {
        std::lock_guard lock(mu_);
        ++lists;
        if (!repository_exists) return std::optional<std::vector<std::string>>{};
        std::vector<std::string> out;
        for (const auto& [t, d] : tags) out.push_back(t);
        return std::optional<std::vector<std::string>>{out};
    }

private:
    std::mutex mu_;
};

}  // namespace ocx::testing
