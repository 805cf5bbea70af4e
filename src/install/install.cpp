// Installing one platform of a package (see install.hpp; docs/wire-format.md §2 manifest and layers,
// §3 index, §4 metadata).
#include "install/install.hpp"

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include "install/select.hpp"
#include "oci/descriptor.hpp"
#include "oci/media_types.hpp"
#include "util/files.hpp"
#include "util/log.hpp"
#include "util/temp_dir.hpp"

namespace ocx::install {

namespace fs = std::filesystem;

namespace {

// A config is package metadata: kilobytes. Refuse to buffer anything absurd.
constexpr std::uint64_t kMaxConfigBytes = 16u << 20;

std::string short_digest(const Digest& d) { return "sha256:" + d.hex().substr(0, 12); }

Error mismatch(std::string_view what, const Digest& want, std::uint64_t want_size, const Digest& got,
               std::uint64_t got_size) {
    return make_error(ErrorKind::data, std::string(what) + ": expected " + want.str() + " (" + std::to_string(want_size) +
                                           " bytes), got " + got.str() + " (" + std::to_string(got_size) + " bytes)");
}

struct FileCloser {
    void operator()(std::FILE* f) const { std::fclose(f); }
};

// Streams a blob into `file` while hashing; checks digest and size before returning.
Status download(store::Target& target, const oci::Descriptor& d, const fs::path& file, std::string_view what) {
    std::unique_ptr<std::FILE, FileCloser> out(std::fopen(file.c_str(), "wbx"));
    if (!out) return make_error(ErrorKind::io, "cannot create " + file.string() + ": " + std::strerror(errno));
    Sha256 hash;
    std::uint64_t received = 0;
    Status fetched = target.fetch_blob(d.digest, [&](const char* data, std::size_t size) -> Status {
        received += size;
        if (received > d.size)
            return make_error(ErrorKind::data, "more than the " + std::to_string(d.size) + " bytes its descriptor declares");
        hash.update(data, size);
        if (std::fwrite(data, 1, size, out.get()) != size)
            return make_error(ErrorKind::io, "cannot write " + file.string() + ": " + std::strerror(errno));
        return {};
    });
    if (!fetched) return std::move(fetched).error().context(what);
    if (std::fclose(out.release()) != 0)
        return make_error(ErrorKind::io, "cannot write " + file.string() + ": " + std::strerror(errno));
    Digest got = hash.finish();
    if (got != d.digest || received != d.size) return mismatch(what, d.digest, d.size, got, received);
    return {};
}

Result<std::string> fetch_config(store::Target& target, const oci::Descriptor& d) {
    const std::string what = "config " + d.digest.str();
    if (d.size > kMaxConfigBytes)
        return make_error(ErrorKind::data,
                          what + ": " + std::to_string(d.size) + " bytes is too large for package metadata");
    std::string bytes;
    Status fetched = target.fetch_blob(d.digest, [&](const char* data, std::size_t size) -> Status {
        if (bytes.size() + size > d.size)
            return make_error(ErrorKind::data, "more than the " + std::to_string(d.size) + " bytes its descriptor declares");
        bytes.append(data, size);
        return {};
    });
    if (!fetched) return std::move(fetched).error().context(what);
    Digest got = Digest::of(bytes);
    if (got != d.digest || bytes.size() != d.size) return mismatch(what, d.digest, d.size, got, bytes.size());
    return bytes;
}

Result<bundle::Placement> placement_for(const oci::Descriptor& layer, const metadata::Metadata& meta,
                                        std::string_view what) {
    bundle::Placement p;
    if (meta.strip_components) p.strip_components = static_cast<unsigned>(*meta.strip_components);
    if (auto it = layer.annotations.find(std::string(oci::kAnnotationStripComponents)); it != layer.annotations.end()) {
        const std::string& text = it->second;
        unsigned value = 0;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (ec != std::errc() || end != text.data() + text.size() || value > 255)
            return make_error(ErrorKind::data, std::string(what) + ": annotation " +
                                                   std::string(oci::kAnnotationStripComponents) + " \"" + text +
                                                   "\" is not a number from 0 to 255");
        p.strip_components = value;
    }
    if (auto it = layer.annotations.find(std::string(oci::kAnnotationPrefix)); it != layer.annotations.end())
        p.prefix = it->second;
    return p;
}

bool is_empty_dir(const fs::path& dir, std::error_code& ec) {
    return fs::directory_iterator(dir, ec) == fs::directory_iterator();
}

Status rename_into(const fs::path& from, const fs::path& to) {
    std::error_code ec;
    fs::rename(from, to, ec);
    if (ec) return make_error(ErrorKind::io, "cannot move " + from.string() + " to " + to.string() + ": " + ec.message());
    return {};
}

}  // namespace

fs::path content_dir(const fs::path& dir) { return dir / "content"; }
fs::path metadata_file(const fs::path& dir) { return dir / "metadata.json"; }

Result<Resolved> resolve(store::Target& target, std::string_view reference, const oci::Platform& required) {
    const std::string where = target.describe() + (reference.starts_with("sha256:") ? "@" : ":") + std::string(reference);
    std::optional<Digest> pinned;
    if (reference.starts_with("sha256:")) {
        auto d = Digest::parse(reference);
        if (!d) return std::move(d).error();
        pinned = *d;
    }
    auto got = target.get_manifest(reference);
    if (!got) return std::move(got).error().context(where);
    if (!*got) return make_error(ErrorKind::not_found, where + ": not found");
    const store::Manifest& doc = **got;
    const Digest actual = Digest::of(doc.bytes);
    if (pinned && actual != *pinned)
        return make_error(ErrorKind::data, where + ": the stored document hashes to " + actual.str());
    std::string media_type = oci::sniff_media_type(doc.bytes);
    if (media_type.empty()) media_type = doc.media_type;
    if (media_type == oci::kImageIndex || media_type == oci::kDockerManifestList) {
        auto index = oci::ImageIndex::parse(doc.bytes);
        if (!index) return std::move(index).error().context(where);
        auto chosen = select_entry(*index, required);
        if (!chosen) return std::move(chosen).error().context(where);
        const oci::IndexEntry& entry = index->manifests[*chosen];
        return Resolved{entry.digest, entry.size, entry.platform};
    }
    if (media_type == oci::kImageManifest || media_type == oci::kDockerManifest)
        return Resolved{actual, static_cast<std::uint64_t>(doc.bytes.size()), std::nullopt};
    return make_error(ErrorKind::data,
                      where + ": neither an image index nor a manifest (media type \"" + media_type + "\")");
}

namespace {
// The resolved manifest, fetched and checked against its digest and size: an OCX package.
Result<oci::ImageManifest> fetch_manifest(store::Target& target, const Resolved& resolved, Installed& out) {
    const std::string manifest_what = "manifest " + resolved.digest.str();
    auto got = target.get_manifest(resolved.digest.str());
    if (!got) return std::move(got).error().context(manifest_what);
    if (!*got) return make_error(ErrorKind::not_found, manifest_what + ": not found in " + target.describe());
    const std::string& bytes = (**got).bytes;
    Digest actual = Digest::of(bytes);
    std::uint64_t size = bytes.size();
    if (actual != resolved.digest || (resolved.size && *resolved.size != size))
        return mismatch(manifest_what, resolved.digest, resolved.size.value_or(size), actual, size);
    auto manifest = oci::ImageManifest::parse(bytes);
    if (!manifest) return std::move(manifest).error().context(manifest_what);
    if (manifest->config.media_type != oci::kPackageConfig)
        return make_error(ErrorKind::data, manifest_what + ": not an OCX package (config media type \"" +
                                               manifest->config.media_type + "\", expected \"" +
                                               std::string(oci::kPackageConfig) + "\")");
    out.bytes_downloaded += size;
    return manifest;
}

// The config blob: the package's metadata.
Status read_config(store::Target& target, const oci::ImageManifest& manifest, Installed& out) {
    auto config = fetch_config(target, manifest.config);
    if (!config) return std::move(config).error();
    out.config = manifest.config.digest;
    out.config_bytes = std::move(*config);
    out.bytes_downloaded += out.config_bytes.size();
    auto meta = metadata::parse(out.config_bytes, "config " + out.config.str());
    if (!meta) return std::move(meta).error();
    out.metadata = std::move(*meta);
    return {};
}

// Every layer downloaded into `staging`, with where the metadata places it.
Result<std::vector<bundle::LayerFile>> fetch_layers(store::Target& target, const oci::ImageManifest& manifest,
                                                    const fs::path& staging, Installed& out) {
    std::vector<bundle::LayerFile> layers;
    for (std::size_t i = 0; i < manifest.layers.size(); ++i) {
        const oci::Descriptor& layer = manifest.layers[i];
        const std::string what = "layer " + std::to_string(i + 1) + " (" + short_digest(layer.digest) + ")";
        if (layer.media_type != oci::kLayerTarXz && layer.media_type != oci::kLayerTarGzip &&
            layer.media_type != oci::kLayerTarZstd)
            return make_error(ErrorKind::data, what + ": unsupported media type \"" + layer.media_type +
                                                   "\" (expected tar+xz, tar+gzip or tar+zstd)");
        auto placement = placement_for(layer, out.metadata, what);
        if (!placement) return std::move(placement).error();
        fs::path file = staging / ("layer-" + std::to_string(i + 1));
        log::verbose("fetching " + what + ", " + std::to_string(layer.size) + " bytes");
        if (Status s = download(target, layer, file, what); !s) return std::move(s).error();
        out.bytes_downloaded += layer.size;
        layers.push_back(bundle::LayerFile{file, std::move(*placement), what});
    }
    return layers;
}

// Into place: the old marker goes first and the new one comes last.
Status move_into_place(const fs::path& staging, const fs::path& dir, Overwrite overwrite) {
    std::error_code ec;
    if (overwrite == Overwrite::replace) {
        fs::remove(metadata_file(dir), ec);
        if (ec) return make_error(ErrorKind::io, "cannot remove " + metadata_file(dir).string() + ": " + ec.message());
        fs::remove_all(content_dir(dir), ec);
        if (ec) return make_error(ErrorKind::io, "cannot remove " + content_dir(dir).string() + ": " + ec.message());
    }
    if (Status s = rename_into(content_dir(staging), content_dir(dir)); !s) return std::move(s).error();
    if (Status s = rename_into(metadata_file(staging), metadata_file(dir)); !s) {
        fs::remove_all(content_dir(dir), ec);
        return std::move(s).error();
    }
    return {};
}

// The package fetched, checked and extracted in a staging directory inside `dir`, then moved into place.
Result<Installed> install_staged(store::Target& target, const Resolved& resolved, const fs::path& dir, Overwrite overwrite,
                                 const bundle::UnpackLimits& limits) {
    auto staging = TempDir::create(".tmp-", dir);
    if (!staging) return std::move(staging).error();
    Installed out;
    out.manifest = resolved.digest;
    auto manifest = fetch_manifest(target, resolved, out);
    if (!manifest) return std::move(manifest).error();
    if (Status s = read_config(target, *manifest, out); !s) return std::move(s).error();
    auto layers = fetch_layers(target, *manifest, staging->path(), out);
    if (!layers) return std::move(layers).error();
    out.layers = layers->size();
    auto extracted = bundle::extract(*layers, content_dir(staging->path()), limits);
    if (!extracted) return std::move(extracted).error();
    out.extracted = *extracted;
    std::error_code ec;
    for (const auto& l : *layers) fs::remove(l.path, ec);
    if (Status s = write_file_atomic(metadata_file(staging->path()), out.config_bytes); !s) return std::move(s).error();
    if (Status s = move_into_place(staging->path(), dir, overwrite); !s) return std::move(s).error();
    return out;
}
}  // namespace

Result<Installed> install(store::Target& target, const Resolved& resolved, const fs::path& dir, Overwrite overwrite,
                          const bundle::UnpackLimits& limits) {
    std::error_code ec;
    const bool existed = fs::exists(dir, ec);
    if (existed && !fs::is_directory(dir, ec))
        return make_error(ErrorKind::usage, dir.string() + ": exists and is not a directory");
    if (existed && !is_empty_dir(dir, ec) && overwrite == Overwrite::refuse)
        return make_error(ErrorKind::usage, dir.string() + ": not empty (pass --force to replace an installed package)");
    if (ec) return make_error(ErrorKind::io, "cannot read " + dir.string() + ": " + ec.message());
    if (!existed && (fs::create_directories(dir, ec), ec))
        return make_error(ErrorKind::io, "cannot create " + dir.string() + ": " + ec.message());

    auto result = install_staged(target, resolved, dir, overwrite, limits);
    if (!result && !existed) fs::remove(dir, ec);  // only when empty again: it was ours
    return result;
}

Result<metadata::Metadata> load_installed(const fs::path& dir) {
    auto text = read_file(metadata_file(dir));
    if (!text) return std::move(text).error();
    if (!*text)
        return make_error(ErrorKind::not_found,
                          dir.string() + ": not an installed package (no metadata.json; see `ocx-release install`)");
    return metadata::parse(**text, metadata_file(dir).string());
}

}  // namespace ocx::install
