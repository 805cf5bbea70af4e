#include "publish/release.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "attest/sbom.hpp"
#include "bundle/bundle.hpp"
#include "bundle/check.hpp"
#include "oci/media_types.hpp"
#include "plan/version.hpp"
#include "publish/platform_layers.hpp"
#include "publish/shared_layers.hpp"
#include "util/files.hpp"
#include "util/json.hpp"
#include "util/log.hpp"
#include "util/progress.hpp"
#include "util/units.hpp"

namespace ocx::publish {

namespace fs = std::filesystem;

namespace {
void add_error(report::Report& r, std::mutex& m, std::string step, const Error& e) {
    std::lock_guard lock(m);
    r.errors.push_back(report::StepError::of(std::move(step), e));
}

struct PlatformWork {
    const PlatformInput* input = nullptr;
    PlatformContent content;
    BuiltManifest built;
    report::PlatformResult result;
    bool prepared = false;            // bundled or hashed, manifest built
    bool ok = false;                  // pushed (in a dry run: prepared)
    std::optional<std::string> sbom;  // the SBOM to attach ("sbom" in the matrix)
    /// The platform's "layers", in order: shared layers and digest references are set before
    /// any platform is prepared, the trees and archives by prepare_platform.
    std::vector<std::optional<PreparedLayer>> leading;
    SharedUploads* shared = nullptr;  // uploads the shared layers it names, once for all platforms
};

// The platform's SBOM (docs/cli.md "Supply chain"): the user's file as is (it must be JSON), or
// generated from the file digests its bundles or archive checks produced.
Result<std::string> platform_sbom(const plan::Matrix& matrix, const plan::PlatformSpec& spec,
                                  std::vector<bundle::FileHash> files) {
    if (spec.sbom_file) {
        auto text = read_file(*spec.sbom_file);
        if (!text) return std::move(text).error();
        if (!*text)
            return make_error(ErrorKind::not_found,
                              spec.json_path + "/sbom: " + spec.sbom_file->string() + ": no such file");
        if (auto doc = json::parse(**text, spec.sbom_file->string()); !doc) return std::move(doc).error();
        return std::move(**text);
    }
    std::vector<attest::SbomFile> list;
    list.reserve(files.size());
    for (auto& f : files) list.push_back({std::move(f.name), f.digest});
    return attest::cyclonedx_sbom({matrix.package.repository_str(), matrix.tag, spec.platform.str()}, std::move(list));
}

bool is_archive_file(const plan::PlatformLayer& l) {
    return l.kind == plan::PlatformLayer::Kind::reference && l.ref.kind == oci::LayerRef::Kind::file;
}

// True when preparing the platform compresses: its content, or a tree in its "layers".
bool bundles_here(const plan::PlatformSpec& spec) {
    return spec.content.has_value() || std::any_of(spec.layers.begin(), spec.layers.end(), [](const auto& l) {
               return l.kind == plan::PlatformLayer::Kind::content;
           });
}

// A file's size, 0 when it cannot be read (its check reports that).
std::uint64_t size_of(const fs::path& file) {
    std::error_code ec;
    const auto size = fs::file_size(file, ec);
    return ec ? 0 : size;
}

// A prebuilt archive as a layer placed by `placement`: with the platform's other archives in
// `set`, walked now; else hashed, and walked now in a dry run or beside its upload. With
// `list_files`, its files for the SBOM (from the set's walk, else from a walk of their own).
Result<PreparedLayer> archive_layer(const fs::path& path, const oci::LayerRef& placement, const ReleaseOptions& options,
                                    bundle::LayerSet* set, bool list_files, unsigned default_strip = 0) {
    PreparedLayer out;
    if (set != nullptr) {
        set->placement = {placement.strip.value_or(default_strip), placement.prefix.value_or("")};
        const auto media_type = oci::layer_media_type(path.filename().string());
        if (!media_type)
            return make_error(ErrorKind::data,
                              path.string() + ": not a supported archive (expected " + oci::archive_extensions() + ")");
        auto checked = bundle::check_archive(path, *media_type, options.limits, set, {}, list_files ? &out.files : nullptr);
        if (!checked) return std::move(checked).error();
        out.layer = Layer{path, checked->digest, checked->size, std::string(*media_type), {}, Layer::Origin::file, {}, {}};
    } else {
        auto layer = layer_from_archive(path, options.limits, nullptr,
                                        options.dry_run ? CheckTiming::now : CheckTiming::beside_upload);
        if (!layer) return std::move(layer).error();
        out.layer = std::move(*layer);
        if (list_files) {
            auto listed = bundle::check_archive(path, out.layer.media_type, options.limits, nullptr, {}, &out.files);
            if (!listed) return std::move(listed).error();
        }
    }
    out.layer.annotations = oci::layer_annotations(placement);
    out.layer.mount_from = placement.from;
    out.files = placed_files(std::move(out.files), placement);
    return out;
}

// Shares the compression threads out between the bundles running at once. A bundle gets its fair
// share of the threads (total / the number of bundles that can still run side by side), capped by
// what is free, never less than one: two bundles of four platforms on 2 cores get one thread
// each, and a content platform compressed alone (the only one, the last one, or next to prebuilt
// archives that are only hashed) gets every core. The thread count never changes the bytes.
class ThreadBudget {
public:
    ThreadBudget(unsigned total, unsigned slots, std::size_t bundles) : total_(total), slots_(slots), left_(bundles) {}

    /// Threads for a bundle about to start; give them back with release().
    unsigned acquire() {
        std::lock_guard lock(mutex_);
        const std::size_t side_by_side = std::max<std::size_t>(1, std::min<std::size_t>(slots_, running_ + left_));
        const unsigned fair = std::max(1u, static_cast<unsigned>(total_ / side_by_side));
        const unsigned free = total_ > in_use_ ? total_ - in_use_ : 0;
        const unsigned threads = std::max(1u, std::min(fair, free));
        if (left_ > 0) --left_;
        ++running_;
        in_use_ += threads;
        return threads;
    }
    void release(unsigned threads) {
        std::lock_guard lock(mutex_);
        --running_;
        in_use_ -= threads;
    }

private:
    std::mutex mutex_;
    const unsigned total_;
    const unsigned slots_;
    std::size_t left_;         // bundles not started yet
    std::size_t running_ = 0;  // bundles compressing now
    unsigned in_use_ = 0;      // their threads
};

// The compression threads and the progress line of one platform's bundles (its layer trees, then
// its content), held from the first bundle to the last.
class BundleRun {
public:
    BundleRun(ThreadBudget& budget, const std::string& name) : budget_(budget), name_(name) {}
    ~BundleRun() {
        if (task_) budget_.release(threads_);
    }
    BundleRun(const BundleRun&) = delete;
    BundleRun& operator=(const BundleRun&) = delete;

    /// How the next tree is bundled: the threads (taken at the first bundle) and the progress.
    LayerBundling next(const plan::Matrix& matrix, const ReleaseOptions& options, bool file_digests) {
        if (!task_) {
            task_.emplace(name_, progress::Phase::bundle);
            threads_ = budget_.acquire();
            log::verbose("[" + name_ + "] bundling with " + std::to_string(threads_) + " compression thread(s)");
        }
        done_ += last_;
        last_ = 0;
        return {matrix.level, threads_, options.limits, file_digests, [this](std::uint64_t in) {
                    last_ = in;
                    task_->update(done_ + in);
                }};
    }

private:
    ThreadBudget& budget_;
    std::string name_;
    std::optional<progress::Task> task_;
    unsigned threads_ = 0;
    std::uint64_t done_ = 0, last_ = 0;
};

// The platform's "layers" that preparation makes: trees bundled as <bundle_stem>-layer<N>.tar.xz,
// and (unless they are checked together later, check_together) prebuilt archives.
Status prepare_leading(const plan::Matrix& matrix, const ReleaseOptions& options, BundleRun& bundles, PlatformWork& work,
                       bool together) {
    const auto& spec = *work.input->spec;
    const bool list_files = spec.sbom && !spec.sbom_file;
    for (std::size_t i = 0; i < spec.layers.size(); ++i) {
        const auto& l = spec.layers[i];
        if (work.leading[i]) continue;  // a shared layer or a digest reference, in place already
        Result<PreparedLayer> layer = make_error(ErrorKind::internal, l.json_path + ": not prepared");
        if (l.kind == plan::PlatformLayer::Kind::content) {
            const auto out = options.bundle_dir / (plan::tree_layer_stem(spec, l) + ".tar.xz");
            layer = bundle_layer(l.content, out, l.ref, bundles.next(matrix, options, list_files), l.json_path);
            if (layer)
                log::info("[" + spec.platform.str() + "] bundled layer " + out.filename().string() + " (" +
                          human_bytes(layer->layer.size) + ", " + layer->layer.digest.str() + ")");
        } else if (is_archive_file(l)) {
            if (together) continue;
            layer = archive_layer(l.ref.path, l.ref, options, nullptr, list_files);
            if (!layer) layer = std::move(layer).error().context(l.json_path);
        }
        if (!layer) return std::move(layer).error();
        work.leading[i] = std::move(*layer);
    }
    return {};
}

// The platform's own content (bundled, with its sidecar) or archive: its last layer.
Result<PreparedLayer> prepare_own(const plan::Matrix& matrix, const ReleaseOptions& options, BundleRun& bundles,
                                  const PlatformWork& work) {
    const auto& spec = *work.input->spec;
    const bool list_files = spec.sbom && !spec.sbom_file;
    if (!spec.content) return archive_layer(*spec.archive, {}, options, nullptr, list_files);
    const fs::path out = options.bundle_dir / (spec.bundle_stem + ".tar.xz");
    auto made = bundle_layer(*spec.content, out, {}, bundles.next(matrix, options, list_files), out.filename().string());
    if (!made) return made;
    // The sidecar next to the bundle, so the bundle can be pushed again with `push` alone.
    if (auto s = write_file_atomic(options.bundle_dir / (spec.bundle_stem + "-metadata.json"), work.input->metadata_pretty);
        !s)
        return std::move(s).error();
    log::info("[" + spec.platform.str() + "] bundled " + out.filename().string() + " (" + human_bytes(made->layer.size) +
              ", " + made->layer.digest.str() + ")");
    return made;
}

// A tree of this release as one layer of `set`, placed by `strip` (else the metadata's
// strip_components, as install places it) and `prefix` (scanned again: the bundle holds exactly
// what the scan finds).
Status admit_tree(const fs::path& tree, const std::optional<unsigned>& strip, const std::optional<std::string>& prefix,
                  unsigned default_strip, const ReleaseOptions& options, bundle::LayerSet& set, const std::string& what) {
    auto entries = bundle::scan(tree);
    if (!entries) return std::move(entries).error().context(what);
    set.placement = {strip.value_or(default_strip), prefix.value_or("")};
    return bundle::admit_tree(*entries, options.limits, set, what);
}

// A platform with several layers is one tree once installed, so all of them are checked
// together, as install extracts them (bundle::LayerSet): a path in two layers, a link through
// another layer, the limits over their sum, each layer placed by its strip and prefix. Trees are
// admitted from their scans, prebuilt archives walked now (and made into layers here); a
// digest reference's blob is not read. `own` is the platform's bundle, or set here for its archive.
Status check_together(const plan::Matrix& matrix, const ReleaseOptions& options, PlatformWork& work,
                      std::optional<PreparedLayer>& own) {
    const auto& spec = *work.input->spec;
    const bool list_files = spec.sbom && !spec.sbom_file;
    const unsigned strip = work.input->strip_components;  // install's strip for a layer without its own
    bundle::LayerSet set;
    for (std::size_t i = 0; i < spec.layers.size(); ++i)
        set.compressed += work.leading[i] ? work.leading[i]->layer.size
                                          : (is_archive_file(spec.layers[i]) ? size_of(spec.layers[i].ref.path) : 0);
    set.compressed += own ? own->layer.size : size_of(*spec.archive);
    for (std::size_t i = 0; i < spec.layers.size(); ++i) {
        const auto& l = spec.layers[i];
        Status s;
        if (l.kind == plan::PlatformLayer::Kind::shared) {
            const auto* shared = plan::find_shared_layer(matrix, l.shared);  // the matrix check found it
            s = admit_tree(shared->content, shared->strip, shared->prefix, strip, options, set,
                           l.json_path + " (\"" + l.shared + "\")");
        } else if (l.kind == plan::PlatformLayer::Kind::content) {
            s = admit_tree(l.content, l.ref.strip, l.ref.prefix, strip, options, set, l.json_path);
        } else if (is_archive_file(l)) {
            auto layer = archive_layer(l.ref.path, l.ref, options, &set, list_files, strip);
            if (!layer) return std::move(layer).error().context(l.json_path);
            work.leading[i] = std::move(*layer);
        }
        if (!s) return s;
    }
    if (spec.content) {
        if (auto s = admit_tree(*spec.content, {}, {}, strip, options, set, spec.json_path + "/content"); !s) return s;
    } else {
        auto layer = archive_layer(*spec.archive, {}, options, &set, list_files, strip);
        if (!layer) return std::move(layer).error();
        own = std::move(*layer);
    }
    return bundle::finish_layers(set);
}

// Bundles (or digests) one platform and builds its manifest: the CPU-bound half of a platform.
// Returns true when its content is ready to push (or, in a dry run, done).
bool prepare_platform(const plan::Matrix& matrix, const ReleaseOptions& options, ThreadBudget& budget, PlatformWork& work,
                      report::Report& rep, std::mutex& rep_mutex) {
    const auto& spec = *work.input->spec;
    const std::string name = spec.platform.str();
    work.result.platform = name;
    work.content.platform = spec.platform;
    work.content.config = work.input->config;
    const std::string step = (spec.content ? "bundle " : "archive ") + name;
    auto fail = [&](const std::string& at, const Error& e) {
        add_error(rep, rep_mutex, at, e);
        return false;
    };
    const bool together = !spec.layers.empty();
    std::optional<PreparedLayer> own;
    {
        BundleRun bundles(budget, name);
        if (auto s = prepare_leading(matrix, options, bundles, work, together); !s) return fail(step, s.error());
        if (spec.content || !together) {
            auto made = prepare_own(matrix, options, bundles, work);
            if (!made) return fail(step, made.error());
            own = std::move(*made);
        }
    }
    if (together)
        if (auto s = check_together(matrix, options, work, own); !s) return fail(step, s.error());
    std::vector<bundle::FileHash> files;
    auto add = [&](PreparedLayer& l) {
        work.result.archives.push_back({l.layer.path.string(), l.layer.digest, l.layer.size, l.created});
        work.content.layers.push_back(std::move(l.layer));
        std::move(l.files.begin(), l.files.end(), std::back_inserter(files));
    };
    for (auto& l : work.leading) add(*l);
    add(*own);
    if (spec.sbom) {
        auto sbom = platform_sbom(matrix, spec, std::move(files));
        if (!sbom) return fail("sbom " + name, sbom.error());
        work.sbom = std::move(*sbom);
    }
    work.built = build_manifest(work.content);
    work.result.config = {work.built.config.digest, work.built.config.size};
    work.result.manifest = {work.built.manifest.digest, work.built.manifest.bytes.size()};
    work.prepared = true;
    if (options.dry_run) work.ok = true;
    return true;
}

// Pushes a prepared platform's blobs and manifest: the I/O-bound half. Its shared layers first
// (uploaded by the first platform that needs them).
void push_prepared(store::Target& target, const ReleaseOptions& options, PlatformWork& work, report::Report& rep,
                   std::mutex& rep_mutex) {
    const std::string& name = work.result.platform;
    for (const auto& l : work.input->spec->layers)
        if (l.kind == plan::PlatformLayer::Kind::shared)
            if (auto s = work.shared->ensure(target, l.shared); !s)
                return add_error(rep, rep_mutex, "push " + name, s.error());
    std::uint64_t total = 0;
    for (const auto& l : work.content.layers) total += l.size;
    std::vector<report::Blob> uploaded;
    auto counts = [&] {
        progress::Task task(name, progress::Phase::upload, total);
        return push_content(
            target, work.content, work.built, options.mount_from, options.write.manifest_retry, options.write.clock,
            [&task](std::uint64_t sent) { task.update(sent); }, nullptr, &uploaded);
    }();
    if (!counts) {
        work.result.uploaded_blobs = std::move(uploaded);
        return add_error(rep, rep_mutex, "push " + name, counts.error());
    }
    work.result.blobs = *counts;
    work.result.pushed = true;
    work.ok = true;
    log::info("[" + name + "] pushed manifest " + work.built.manifest.digest.str() + " (" +
              std::to_string(counts->uploaded) + " blobs uploaded, " + std::to_string(counts->skipped) + " present, " +
              human_bytes(counts->bytes_uploaded) + ")");
}

// Bytes a tree holds (what compressing it costs); errors count as 0: the bundler reports them.
std::uint64_t tree_bytes(const fs::path& root) {
    std::error_code ec;
    if (fs::is_regular_file(root, ec)) return fs::file_size(root, ec);
    std::uint64_t total = 0;
    for (fs::recursive_directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
        std::error_code fec;
        if (it->is_regular_file(fec) && !it->is_symlink(fec)) total += it->file_size(fec);
    }
    return total;
}

// Bytes a platform's preparation compresses: its content tree and the trees in its "layers"; 0
// for prebuilt archives only (hashing them is cheap next to compressing).
std::uint64_t preparation_cost(const PlatformInput& in) {
    std::uint64_t total = in.spec->content ? tree_bytes(*in.spec->content) : 0;
    for (const auto& l : in.spec->layers)
        if (l.kind == plan::PlatformLayer::Kind::content) total += tree_bytes(l.content);
    return total;
}

// The order platforms are prepared in: prebuilt archives first (quickly hashed, their uploads then
// run while the content platforms compress), then content trees largest first, so the last
// platform to finish compressing is a small one and the cores are not left half idle at the end
// (longest-processing-time-first scheduling). Ties keep matrix order. The report keeps matrix order.
std::vector<std::size_t> preparation_order(const std::vector<PlatformWork>& work, const std::vector<std::uint64_t>& cost) {
    std::vector<std::size_t> order(work.size());
    for (std::size_t i = 0; i < work.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        const bool archive_a = !bundles_here(*work[a].input->spec), archive_b = !bundles_here(*work[b].input->spec);
        if (archive_a != archive_b) return archive_a;
        return cost[a] > cost[b];
    });
    return order;
}

// Tells the progress display what is ahead, so its totals cover the whole release: the bytes a
// platform bundles, and (until its bundles exist and say) as many again to upload, with its
// prebuilt archives.
void announce_progress(const PlatformInput& in, std::uint64_t cost, bool pushing) {
    const std::string name = in.spec->platform.str();
    if (bundles_here(*in.spec)) progress::expect(name, progress::Phase::bundle, cost);
    if (!pushing) return;
    std::uint64_t upload = cost;
    if (in.spec->archive) upload += size_of(*in.spec->archive);
    for (const auto& l : in.spec->layers)
        if (is_archive_file(l)) upload += size_of(l.ref.path);
    progress::expect(name, progress::Phase::upload, upload);
}

// Prepared platforms waiting for an uploader. Closed once every preparer is done.
class PushQueue {
public:
    void put(PlatformWork* w) {
        {
            std::lock_guard lock(mutex_);
            items_.push_back(w);
        }
        cv_.notify_one();
    }
    void close() {
        {
            std::lock_guard lock(mutex_);
            closed_ = true;
        }
        cv_.notify_all();
    }
    /// The next platform to push, or nullptr when the queue is closed and empty.
    PlatformWork* take() {
        std::unique_lock lock(mutex_);
        cv_.wait(lock, [&] { return closed_ || !items_.empty(); });
        if (items_.empty()) return nullptr;
        PlatformWork* w = items_.front();
        items_.pop_front();
        return w;
    }

private:
    std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<PlatformWork*> items_;
    bool closed_ = false;
};

unsigned cores() { return std::max(1u, std::thread::hardware_concurrency()); }

// Platforms handled at once: --jobs, else the cores (at least 2: one compresses while one
// uploads), never more than there are platforms.
unsigned job_count(const ReleaseOptions& options, std::size_t platforms) {
    const unsigned jobs = options.jobs != 0 ? options.jobs : std::max(2u, cores());
    return std::max(1u, std::min<unsigned>(jobs, static_cast<unsigned>(platforms)));
}

// Prepares every platform on `jobs` preparers (the compression threads shared out by ThreadBudget)
// and pushes each as soon as it is ready on `jobs` uploaders, so one platform's upload overlaps
// the next platform's compression instead of holding its preparer (and its cores) idle.
void prepare_and_push(store::Target* target, const plan::Matrix& matrix, const ReleaseOptions& options,
                      std::vector<PlatformWork>& work, report::Report& rep, std::mutex& rep_mutex, bool pushing) {
    if (work.empty()) return;
    const unsigned total_threads = matrix.threads != 0 ? matrix.threads : cores();
    const unsigned jobs = job_count(options, work.size());
    const auto bundles = static_cast<std::size_t>(
        std::count_if(work.begin(), work.end(), [](const PlatformWork& w) { return bundles_here(*w.input->spec); }));
    ThreadBudget budget(total_threads, jobs, bundles);
    // The display counts upload bytes whenever the release pushes, now or after the replace check.
    const bool will_upload = !options.dry_run;
    std::vector<std::uint64_t> cost(work.size());
    for (std::size_t i = 0; i < work.size(); ++i) {
        cost[i] = preparation_cost(*work[i].input);
        announce_progress(*work[i].input, cost[i], will_upload);
    }
    const std::vector<std::size_t> order = preparation_order(work, cost);

    PushQueue queue;
    std::atomic<std::size_t> next{0};
    auto preparer = [&] {
        for (std::size_t i; (i = next++) < order.size();) {
            PlatformWork& w = work[order[i]];
            if (prepare_platform(matrix, options, budget, w, rep, rep_mutex) && pushing) queue.put(&w);
        }
    };
    auto uploader = [&] {
        while (PlatformWork* w = queue.take()) push_prepared(*target, options, *w, rep, rep_mutex);
    };
    std::vector<std::thread> uploaders;
    if (pushing)
        for (unsigned i = 0; i < jobs; ++i) uploaders.emplace_back(uploader);
    std::vector<std::thread> preparers;
    for (unsigned i = 1; i < jobs; ++i) preparers.emplace_back(preparer);
    preparer();
    for (auto& t : preparers) t.join();
    queue.close();
    for (auto& t : uploaders) t.join();
}

// Pushes platforms prepared earlier, `jobs` at a time.
void push_all(store::Target& target, const ReleaseOptions& options, std::vector<PlatformWork>& work, report::Report& rep,
              std::mutex& rep_mutex) {
    PushQueue queue;
    for (auto& w : work) queue.put(&w);
    queue.close();
    const unsigned jobs = job_count(options, work.size());
    std::vector<std::thread> uploaders;
    for (unsigned i = 0; i < jobs; ++i)
        uploaders.emplace_back([&] {
            while (PlatformWork* w = queue.take()) push_prepared(target, options, *w, rep, rep_mutex);
        });
    for (auto& t : uploaders) t.join();
}

// A release's platforms are not replaced unless asked (--replace, "replace": true), and only in a
// tag that names one release: "nightly" or "edge" is moved by every run, as a rolling tag is.
bool protects_published(const plan::Matrix& matrix) { return !matrix.replace && plan::names_a_release(matrix.tag); }

bool holds_any(const TagContent& content, const std::vector<PlatformWork>& work) {
    const auto* idx = std::get_if<oci::ImageIndex>(&content);
    if (idx == nullptr) return false;
    return std::any_of(work.begin(), work.end(), [&](const PlatformWork& w) {
        return std::any_of(idx->manifests.begin(), idx->manifests.end(),
                           [&](const oci::IndexEntry& e) { return e.platform == w.input->spec->platform; });
    });
}

/// write_canonical_tag for one platform; a failure is added to `rep` at canonical_tag_step.
bool write_canonical(store::Target& target, const WriteOptions& write, PlatformWork& w, report::Report& rep) {
    auto tag = write_canonical_tag(target, w.built.manifest, write.manifest_retry, write.clock);
    if (!tag) {
        rep.errors.push_back(
            report::StepError::of(canonical_tag_step(w.built.manifest.digest.canonical_tag()), tag.error()));
        return false;
    }
    w.result.canonical_tag = *tag;
    return true;
}
}  // namespace

void write_release_tags(store::Target* target, const plan::Matrix& matrix, const std::vector<oci::IndexEntry>& entries,
                        bool dry_run, bool offline, const WriteOptions& write, report::Report& rep) {
    const std::string package = matrix.package.repository_str();
    auto record = [&](std::string step, const Error& e) { rep.errors.push_back(report::StepError::of(std::move(step), e)); };
    if (offline) {
        // No reads: the tag is assumed new, so its index is all platforms in matrix order.
        MergeResult merged = merge_platforms(TagContent{}, entries, matrix.annotations);
        std::string bytes = merged.index.serialize();
        Digest d = Digest::of(bytes);
        rep.index = report::IndexInfo{d, bytes.size(), package + "@" + d.str()};
        report::TagResult t;
        t.tag = matrix.tag;
        t.kind = report::TagKind::primary;
        t.after = d;
        t.action = report::TagAction::created;
        t.reason = "offline: the target was not read; assumes the tag does not exist yet";
        rep.tags.push_back(t);
        for (const auto& alias : matrix.aliases)
            rep.tags.push_back({alias, report::TagKind::alias, {}, d, report::TagAction::created, {}, {}, t.reason});
        if (matrix.cascade)
            rep.tags.push_back({"(rolling tags)",
                                report::TagKind::cascade,
                                {},
                                {},
                                report::TagAction::skipped,
                                {},
                                {},
                                "offline: rolling tags depend on the tags in the registry"});
        rep.status = report::Status::planned;
        return;
    }
    // The first platform of a release is pushed with --new semantics (docs/cli.md step 3): a
    // repository that does not exist yet has no tags. Any other listing failure still aborts.
    TagOptions topts{matrix.cascade, true, matrix.aliases, protects_published(matrix)};
    auto plans = plan_tags(*target, matrix.tag, entries, topts);
    if (!plans) {
        record("plan tags", plans.error());
        rep.status = report::Status::failed;
        return;
    }
    WriteOptions options = write;
    options.compute_only = dry_run;
    const auto outcomes = write_tags(*target, *plans, matrix.annotations, options);
    const auto [failed, primary_written] = record_tags(*plans, outcomes, package, options.compute_only, rep);
    if (!failed)
        rep.status = dry_run ? report::Status::planned : report::Status::published;
    else
        rep.status = primary_written && !dry_run ? report::Status::partial : report::Status::failed;
}

namespace {
// The work's results in the report, in the matrix's order (after a failure that stops the release).
void record_platforms(const std::vector<PlatformWork>& work, report::Report& rep) {
    for (const auto& w : work)
        if (!w.result.platform.empty()) rep.platforms.push_back(w.result);  // preparation began: it has a result
}

// The layers known before any platform is prepared (each platform's `leading`): its digest
// references, found in the target (a missing one stops the release; one mounted from its from=
// is the only blob written before the platforms are checked), then the shared layers
// (shared_layers.hpp), bundled here and uploaded with the first platform pushed that names
// them (`uploads`). False when they are not in place
// (the error is in the report).
bool add_layers_in_place(store::Target* target, const plan::Matrix& matrix, const ReleaseOptions& options,
                         std::vector<PlatformWork>& work, std::unique_ptr<SharedUploads>& uploads, report::Report& rep,
                         std::mutex& rep_mutex) {
    auto stop = [&](std::string step, const Error& e) {
        add_error(rep, rep_mutex, std::move(step), e);
        record_platforms(work, rep);
        return false;
    };
    for (auto& w : work) {
        const auto& layers = w.input->spec->layers;
        w.leading.resize(layers.size());
        for (std::size_t i = 0; i < layers.size(); ++i) {
            if (layers[i].kind != plan::PlatformLayer::Kind::reference || layers[i].ref.kind != oci::LayerRef::Kind::digest)
                continue;
            auto layer = reference_layer(target, layers[i], options.mount_from, options.dry_run);
            if (!layer) return stop("layer " + w.input->spec->platform.str(), layer.error());
            w.leading[i] = std::move(*layer);
        }
    }
    if (matrix.shared_layers.empty()) return true;
    auto shared = prepare_shared_layers(matrix, options);
    if (!shared) return stop("shared layers", shared.error());
    uploads = std::make_unique<SharedUploads>(*shared);
    for (auto& w : work) {
        w.shared = uploads.get();
        const auto& layers = w.input->spec->layers;
        for (std::size_t i = 0; i < layers.size(); ++i)
            if (layers[i].kind == plan::PlatformLayer::Kind::shared) w.leading[i] = shared->at(layers[i].shared);
    }
    return true;
}

// A published version is protected (README "Published versions"; protects_published): when the tag already holds
// one of our platforms, every platform is prepared first and compared before the first upload;
// compute_tag checks again where the tag is merged, so a release racing ours is caught too.
// Otherwise no entry can conflict, and uploads overlap compression. False when the release stops
// here (the reason is in the report).
bool prepare_and_push_checked(store::Target* target, const plan::Matrix& matrix, const ReleaseOptions& options,
                              std::vector<PlatformWork>& work, report::Report& rep, std::mutex& rep_mutex) {
    std::optional<TagState> published;
    if (protects_published(matrix) && target != nullptr) {
        auto now = read_tag(*target, matrix.tag);
        if (!now) {
            add_error(rep, rep_mutex, "read tag " + matrix.tag, now.error());
            record_platforms(work, rep);
            return false;
        }
        if (holds_any(now->content, work)) published = std::move(*now);
    }
    if (!published) {
        prepare_and_push(target, matrix, options, work, rep, rep_mutex, !options.dry_run);
        return true;
    }
    prepare_and_push(target, matrix, options, work, rep, rep_mutex, false);
    std::vector<oci::IndexEntry> prepared;
    for (const auto& w : work)
        if (w.prepared) prepared.push_back(w.built.entry);
    auto conflicts = published_conflicts(published->content, prepared);
    if (!conflicts.empty()) {
        const Error e = published_conflict_error(target->describe(), matrix.tag, conflicts);
        rep.errors.push_back(report::StepError::of("replace " + conflicts.front().platform, e));
        record_platforms(work, rep);
        const std::optional<Digest> now = published->stored->digest;  // holds_any: the tag exists
        rep.tags.push_back({matrix.tag,
                            report::TagKind::primary,
                            now,
                            now,
                            report::TagAction::skipped,
                            {},
                            {},
                            "not written: it would replace a published platform's content"});
        return false;
    }
    if (!options.dry_run && std::all_of(work.begin(), work.end(), [](const PlatformWork& w) { return w.prepared; }))
        push_all(*target, options, work, rep, rep_mutex);
    return true;
}

// A shard publishes content and its canonical tag only; finalize writes the tags.
void finish_shard(store::Target* target, const plan::Matrix& matrix, const ReleaseOptions& options,
                  std::vector<PlatformWork>& work, report::Report& rep) {
    if (!options.dry_run && matrix.canonical_tags)
        for (auto& w : work) write_canonical(*target, options.write, w, rep);
    rep.platforms.clear();
    record_platforms(work, rep);
    rep.status = !rep.errors.empty() ? report::Status::failed
                                     : (options.dry_run ? report::Status::planned : report::Status::published);
}

// Canonical tags last (docs/wire-format.md §5 write order): only after the tags are in place.
void write_canonical_tags(store::Target* target, const plan::Matrix& matrix, const ReleaseOptions& options,
                          std::vector<PlatformWork>& work, report::Report& rep) {
    if (!options.dry_run && rep.status == report::Status::published && matrix.canonical_tags) {
        for (auto& w : work)
            if (!write_canonical(*target, options.write, w, rep)) rep.status = report::Status::partial;
        rep.platforms.clear();
        record_platforms(work, rep);
    } else if (options.dry_run && matrix.canonical_tags) {
        rep.platforms.clear();
        for (auto& w : work) {
            w.result.canonical_tag = w.built.manifest.digest.canonical_tag();
            rep.platforms.push_back(w.result);
        }
    }
}
}  // namespace

report::Report run_release(store::Target* target, const plan::Matrix& matrix, const std::vector<PlatformInput>& inputs,
                           const ReleaseOptions& options) {
    report::Report rep;
    rep.dry_run = options.dry_run;
    rep.offline = options.offline;
    rep.package = matrix.package.repository_str();
    rep.tag = matrix.tag;
    rep.status = report::Status::failed;
    std::mutex rep_mutex;

    std::vector<PlatformWork> work;
    for (const auto& in : inputs)
        if (!options.shard || in.spec->platform.str() == *options.shard)
            work.push_back(PlatformWork{&in, {}, {}, {}, false, false, {}, {}, nullptr});
    std::unique_ptr<SharedUploads> shared_uploads;  // outlives every push
    if (!add_layers_in_place(target, matrix, options, work, shared_uploads, rep, rep_mutex)) return rep;
    if (!prepare_and_push_checked(target, matrix, options, work, rep, rep_mutex)) return rep;

    bool all_ok = std::all_of(work.begin(), work.end(), [](const PlatformWork& w) { return w.ok; });
    std::vector<oci::IndexEntry> entries;
    for (auto& w : work) {
        rep.platforms.push_back(w.result);
        if (w.ok) entries.push_back(w.built.entry);
    }
    if (!all_ok) {
        // No tag moves unless every platform it points to is in place.
        rep.tags.push_back({matrix.tag,
                            report::TagKind::primary,
                            {},
                            {},
                            report::TagAction::skipped,
                            {},
                            {},
                            "not written: not every platform's content is in place"});
        rep.status = report::Status::failed;
        return rep;
    }
    // Each platform's SBOM (and signature) before any tag names it: referrers of pushed manifests.
    std::vector<PlatformSubject> subjects;
    subjects.reserve(work.size());
    for (const auto& w : work)
        subjects.push_back({w.result.platform, w.built.manifest.digest, w.built.manifest.bytes.size(), w.sbom});
    const bool attached = attach_platforms(target, subjects, options.supply, options.write, options.dry_run, rep);
    if (!attached && !options.shard) {
        rep.tags.push_back({matrix.tag,
                            report::TagKind::primary,
                            {},
                            {},
                            report::TagAction::skipped,
                            {},
                            {},
                            "not written: a platform's attachments are not in place"});
        rep.status = report::Status::failed;
        return rep;
    }
    if (options.shard) {
        finish_shard(target, matrix, options, work, rep);
        return rep;
    }

    write_release_tags(target, matrix, entries, options.dry_run, options.offline, options.write, rep);
    if (rep.status == report::Status::published || rep.status == report::Status::planned) {
        const bool index_ok =
            attach_index(target, options.supply, matrix.provenance, matrix.tag, options.write, options.dry_run, rep);
        if (!index_ok) rep.status = options.dry_run ? report::Status::failed : report::Status::partial;
    }
    write_canonical_tags(target, matrix, options, work, rep);
    return rep;
}

}  // namespace ocx::publish
