#include "bundle/xz_decoder.hpp"

#include <lzma.h>

#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <optional>
#include <system_error>
#include <thread>
#include <vector>

namespace ocx::bundle {

namespace {

const char* describe(lzma_ret ret) {
    switch (ret) {
        case LZMA_BUF_ERROR: return "the xz stream is truncated";
        case LZMA_MEM_ERROR: return "out of memory decompressing xz";
        case LZMA_FORMAT_ERROR: return "not xz data";
        case LZMA_OPTIONS_ERROR: return "unsupported xz options";
        default: return "the xz data is corrupt";
    }
}

// A block header's filters own allocated options: freed when the header is done with.
struct Filters {
    lzma_filter list[LZMA_FILTERS_MAX + 1];
    Filters() { list[0].id = LZMA_VLI_UNKNOWN; }
    ~Filters() {
        for (std::size_t i = 0; list[i].id != LZMA_VLI_UNKNOWN; ++i) std::free(list[i].options);
        list[0].id = LZMA_VLI_UNKNOWN;
    }
    Filters(const Filters&) = delete;
    Filters& operator=(const Filters&) = delete;
};

// Decodes the block header at `header` (header[0] is its size byte, the whole header present).
lzma_ret decode_header(lzma_block& block, Filters& filters, lzma_check check, const std::uint8_t* header) {
    block = lzma_block{};
    block.version = 1;
    block.check = check;
    block.filters = filters.list;
    block.header_size = lzma_block_header_size_decode(header[0]);
    return lzma_block_header_decode(&block, nullptr, header);
}

struct Stream {
    lzma_stream s = LZMA_STREAM_INIT;
    ~Stream() { lzma_end(&s); }
};

// One block for the helper, and what it made of it.
struct Job {
    enum class State { idle, queued, done } state = State::idle;
    std::uint64_t offset = 0;  // where the block, its header first, starts in the file
    lzma_check check = LZMA_CHECK_NONE;
    std::uint64_t beside = 0;       // what this thread's own decoder holds meanwhile
    bool declined = false;          // not decoded: this thread decodes the block itself
    std::vector<std::uint8_t> in;   // the block's bytes as the helper read them
    std::vector<std::uint8_t> out;  // decompressed
    lzma_vli unpadded = 0;          // for the index
    lzma_vli uncompressed = 0;
    lzma_ret failure = LZMA_OK;  // the block is damaged: the error, reported when this thread gets there
    bool read_failed = false;
};

}  // namespace

struct XzDecoder::Impl {
    ReadAt read_at;
    Consume consume;
    std::uint64_t budget;

    // --- this thread's reading: inbuf[in_pos, in_len) is read and consumed, not yet decoded ---
    std::vector<std::uint8_t> inbuf = std::vector<std::uint8_t>(1 << 20);
    std::size_t in_pos = 0;
    std::size_t in_len = 0;
    std::uint64_t file_pos = 0;  // the offset of inbuf[in_len]: every byte before it was consumed
    bool eof = false;
    bool io_error = false;

    enum class Seq { stream_header, block_header, block_run, helped, index, footer, padding, end, failed };
    Seq seq = Seq::stream_header;
    bool first_stream = true;
    lzma_stream_flags flags{};
    lzma_index_hash* index_hash = nullptr;
    lzma_block block{};  // the block this thread decodes (the block decoder keeps a pointer to it)
    Stream decoder;
    std::vector<std::uint8_t> plain = std::vector<std::uint8_t>(1 << 20);
    std::string error;
    std::uint64_t helped = 0;

    // --- the helper ---
    std::mutex mutex;
    std::condition_variable changed;
    Job job;
    bool stopping = false;
    std::thread helper;

    Impl(ReadAt r, Consume c, std::uint64_t b) : read_at(std::move(r)), consume(std::move(c)), budget(b) {
        if (budget == 0) return;
        try {
            helper = std::thread([this] { help(); });
        } catch (const std::system_error&) {  // no thread to be had: this one decodes every block
            budget = 0;
        }
    }
    ~Impl() {
        {
            std::lock_guard lock(mutex);
            stopping = true;
        }
        changed.notify_all();
        if (helper.joinable()) helper.join();
        lzma_index_hash_end(index_hash, nullptr);
    }

    std::uint64_t logical() const { return file_pos - (in_len - in_pos); }  // the next byte to decode

    std::ptrdiff_t fail(lzma_ret ret) {
        error = describe(ret);
        seq = Seq::failed;
        return -1;
    }
    std::ptrdiff_t fail_read() {
        io_error = true;
        seq = Seq::failed;
        return -1;
    }

    // Makes at least `n` bytes available at inbuf[in_pos] (n ≤ the buffer). False at the end of
    // the file first (eof) or on a read error (io_error).
    bool ensure(std::size_t n) {
        while (in_len - in_pos < n) {
            if (eof) return false;
            if (in_pos > 0) {
                std::memmove(inbuf.data(), inbuf.data() + in_pos, in_len - in_pos);
                in_len -= in_pos;
                in_pos = 0;
            }
            const std::ptrdiff_t got =
                read_at(file_pos, reinterpret_cast<char*>(inbuf.data() + in_len), inbuf.size() - in_len);
            if (got < 0) {
                io_error = true;
                return false;
            }
            if (got == 0) eof = true;
            consume(reinterpret_cast<const char*>(inbuf.data() + in_len), static_cast<std::size_t>(got));
            in_len += static_cast<std::size_t>(got);
            file_pos += static_cast<std::uint64_t>(got);
        }
        return true;
    }

    // ensure(n) failed: truncated, or the read error.
    std::ptrdiff_t short_input() { return io_error ? fail_read() : fail(LZMA_BUF_ERROR); }

    // --- the helper thread ---
    void help() {
        std::unique_lock lock(mutex);
        for (;;) {
            changed.wait(lock, [&] { return stopping || job.state == Job::State::queued; });
            if (stopping) return;
            const std::uint64_t offset = job.offset;
            const lzma_check check = job.check;
            const std::uint64_t beside = job.beside;
            lock.unlock();
            decode_job(offset, check, beside);
            lock.lock();
            job.state = Job::State::done;
            changed.notify_all();
        }
    }

    // Reads and decodes the block at `offset` into job (the lock is not held: this thread does not
    // touch the job until it is done). Whatever the helper cannot do (no sizes in the header, over
    // the budget, short of memory, not a block at all) it declines, and this thread decodes the
    // block itself; only damage found in the block's bytes is the helper's verdict.
    void decode_job(std::uint64_t offset, lzma_check check, std::uint64_t beside) {
        job.declined = true;
        job.failure = LZMA_OK;
        job.read_failed = false;
        try {
            decode_block(offset, check, beside);
        } catch (const std::bad_alloc&) {
            job.declined = true;
            job.failure = LZMA_OK;
        }
        if (job.declined) free_buffers();  // this thread decodes the block: hold nothing beside it
    }

    void free_buffers() {
        std::vector<std::uint8_t>().swap(job.in);
        std::vector<std::uint8_t>().swap(job.out);
    }

    void decode_block(std::uint64_t offset, lzma_check check, std::uint64_t beside) {
        std::uint8_t header[LZMA_BLOCK_HEADER_SIZE_MAX];
        std::ptrdiff_t got = read_at(offset, reinterpret_cast<char*>(header), 1);
        if (got != 1 || header[0] == 0x00) return;  // the index, the end, or a read error: this thread sees to it
        const std::uint32_t header_size = lzma_block_header_size_decode(header[0]);
        got = read_at(offset + 1, reinterpret_cast<char*>(header + 1), header_size - 1);
        if (got != static_cast<std::ptrdiff_t>(header_size - 1)) return;
        lzma_block b{};
        Filters filters;
        if (decode_header(b, filters, check, header) != LZMA_OK) return;
        const std::uint64_t memory = lzma_raw_decoder_memusage(filters.list);
        const lzma_vli total = lzma_block_total_size(&b);
        // Each term at most the budget before they are added: no sum can overflow.
        if (b.compressed_size == LZMA_VLI_UNKNOWN || b.uncompressed_size == LZMA_VLI_UNKNOWN || total == 0 ||
            total == LZMA_VLI_UNKNOWN || b.uncompressed_size == 0 || memory == UINT64_MAX || total > budget ||
            b.uncompressed_size > budget || memory > budget || beside > budget ||
            total + b.uncompressed_size + memory + beside > budget)
            return;
        // The buffers kept from the block before count as held: past the budget, freed first.
        if (std::max<std::uint64_t>(job.in.capacity(), total) +
                std::max<std::uint64_t>(job.out.capacity(), b.uncompressed_size) + memory + beside >
            budget)
            free_buffers();
        job.in.resize(static_cast<std::size_t>(total));
        std::memcpy(job.in.data(), header, header_size);
        const std::size_t rest = static_cast<std::size_t>(total) - header_size;
        got = read_at(offset + header_size, reinterpret_cast<char*>(job.in.data() + header_size), rest);
        if (got < 0) {
            job.read_failed = true;
            job.declined = false;
            return;
        }
        if (static_cast<std::size_t>(got) < rest) return;  // this thread will find the file truncated too
        job.out.resize(static_cast<std::size_t>(b.uncompressed_size));
        Stream d;
        lzma_ret ret = lzma_block_decoder(&d.s, &b);
        if (ret == LZMA_OK) {
            d.s.next_in = job.in.data() + header_size;
            d.s.avail_in = rest;
            d.s.next_out = job.out.data();
            d.s.avail_out = job.out.size();
            ret = lzma_code(&d.s, LZMA_FINISH);
            if (ret == LZMA_STREAM_END && (d.s.avail_in != 0 || d.s.avail_out != 0)) ret = LZMA_DATA_ERROR;
        }
        if (ret == LZMA_MEM_ERROR) return;  // this thread may manage it
        job.declined = false;
        if (ret != LZMA_STREAM_END) {
            job.failure = ret == LZMA_OK ? LZMA_DATA_ERROR : ret;
            return;
        }
        job.unpadded = lzma_block_unpadded_size(&b);
        job.uncompressed = b.uncompressed_size;
    }

    // Hands the block at `offset` to the helper when it is idle; it decodes it when that fits the
    // budget beside `beside`, what this thread's decoder holds.
    void offer_to_helper(std::uint64_t offset, std::uint64_t beside) {
        if (budget == 0) return;
        std::lock_guard lock(mutex);
        if (job.state != Job::State::idle) return;
        job.offset = offset;
        job.check = flags.check;
        job.beside = beside;
        job.state = Job::State::queued;
        changed.notify_all();
    }

    // Whether the helper has (or had) the block at `offset`; waits for it to be done.
    bool helper_has(std::uint64_t offset) {
        std::unique_lock lock(mutex);
        if (job.state == Job::State::idle || job.offset != offset) return false;
        changed.wait(lock, [&] { return job.state == Job::State::done; });
        return true;
    }

    void release_job() {
        std::lock_guard lock(mutex);
        job.state = Job::State::idle;
    }

    // --- this thread: one step of the walk per state; a value is next()'s answer, none goes on ---
    using Step = std::optional<std::ptrdiff_t>;

    std::ptrdiff_t next(const char** out) {
        for (;;) {
            Step answer;
            switch (seq) {
                case Seq::stream_header: answer = stream_header_step(); break;
                case Seq::block_header: answer = block_header_step(); break;
                case Seq::block_run: answer = block_run_step(out); break;
                case Seq::helped: answer = helped_step(out); break;
                case Seq::index: answer = index_step(); break;
                case Seq::footer: answer = footer_step(); break;
                case Seq::padding: answer = padding_step(); break;
                case Seq::end: return 0;
                case Seq::failed: return -1;
            }
            if (answer) return *answer;
        }
    }

    Step stream_header_step() {
        if (!ensure(LZMA_STREAM_HEADER_SIZE)) return short_input();
        const lzma_ret ret = lzma_stream_header_decode(&flags, inbuf.data() + in_pos);
        if (ret != LZMA_OK) return fail(ret == LZMA_FORMAT_ERROR && !first_stream ? LZMA_DATA_ERROR : ret);
        in_pos += LZMA_STREAM_HEADER_SIZE;
        first_stream = false;
        index_hash = lzma_index_hash_init(index_hash, nullptr);
        if (index_hash == nullptr) return fail(LZMA_MEM_ERROR);
        seq = Seq::block_header;
        return std::nullopt;
    }

    // A block this thread decodes, or the helper's, or the index.
    Step block_header_step() {
        const std::uint64_t at = logical();
        if (helper_has(at)) {
            if (job.read_failed) return fail_read();
            if (job.failure != LZMA_OK) return fail(job.failure);
            if (!job.declined) {
                seq = Seq::helped;
                return std::nullopt;
            }
            release_job();
        }
        if (!ensure(1)) return short_input();
        if (inbuf[in_pos] == 0x00) {
            seq = Seq::index;
            return std::nullopt;
        }
        const std::uint32_t header_size = lzma_block_header_size_decode(inbuf[in_pos]);
        if (!ensure(header_size)) return short_input();
        Filters filters;
        lzma_ret ret = decode_header(block, filters, flags.check, inbuf.data() + in_pos);
        const std::uint64_t memory = ret == LZMA_OK ? lzma_raw_decoder_memusage(filters.list) : 0;
        if (memory == UINT64_MAX) ret = LZMA_OPTIONS_ERROR;
        if (ret == LZMA_OK) ret = lzma_block_decoder(&decoder.s, &block);
        block.filters = nullptr;  // freed with `filters`; the decoder has its own copy
        if (ret != LZMA_OK) return fail(ret);
        in_pos += header_size;
        // The next block's place is known when this one's sizes are: the helper may start on it.
        // (Unknown without sizes in the header; 0 for sizes that cannot be.)
        if (const lzma_vli total = lzma_block_total_size(&block); total != 0 && total != LZMA_VLI_UNKNOWN)
            offer_to_helper(at + total, memory);
        seq = Seq::block_run;
        return std::nullopt;
    }

    Step block_run_step(const char** out) {
        if (in_pos == in_len && !eof && !ensure(1) && io_error) return fail_read();
        decoder.s.next_in = inbuf.data() + in_pos;
        decoder.s.avail_in = in_len - in_pos;
        decoder.s.next_out = plain.data();
        decoder.s.avail_out = plain.size();
        const lzma_ret ret = lzma_code(&decoder.s, eof && in_pos == in_len ? LZMA_FINISH : LZMA_RUN);
        in_pos = in_len - decoder.s.avail_in;
        const std::size_t produced = plain.size() - decoder.s.avail_out;
        if (ret == LZMA_STREAM_END) {
            if (lzma_index_hash_append(index_hash, lzma_block_unpadded_size(&block), block.uncompressed_size) != LZMA_OK)
                return fail(LZMA_DATA_ERROR);
            seq = Seq::block_header;
        } else if (ret != LZMA_OK) {
            return fail(ret);
        }
        if (produced > 0) {
            *out = reinterpret_cast<const char*>(plain.data());
            return static_cast<std::ptrdiff_t>(produced);
        }
        return std::nullopt;
    }

    // Hands on the block the helper decoded.
    Step helped_step(const char** out) {
        // The bytes this thread read past the block's start already must be the helper's.
        const std::size_t overlap = std::min(in_len - in_pos, job.in.size());
        if (std::memcmp(inbuf.data() + in_pos, job.in.data(), overlap) != 0) {
            error = "the file changed while it was being read";
            seq = Seq::failed;
            return -1;
        }
        consume(reinterpret_cast<const char*>(job.in.data() + overlap), job.in.size() - overlap);
        in_pos += overlap;
        file_pos += job.in.size() - overlap;
        if (lzma_index_hash_append(index_hash, job.unpadded, job.uncompressed) != LZMA_OK) return fail(LZMA_DATA_ERROR);
        ++helped;
        seq = Seq::block_header;
        // The job is released at the next call: libarchive reads the bytes until then.
        job_handed = true;
        *out = reinterpret_cast<const char*>(job.out.data());
        return static_cast<std::ptrdiff_t>(job.out.size());  // never 0: empty blocks are declined
    }

    Step index_step() {
        if (!ensure(1)) return short_input();
        std::size_t pos = in_pos;
        const lzma_ret ret = lzma_index_hash_decode(index_hash, inbuf.data(), &pos, in_len);
        in_pos = pos;
        if (ret == LZMA_STREAM_END)
            seq = Seq::footer;
        else if (ret != LZMA_OK)
            return fail(ret);
        return std::nullopt;
    }

    Step footer_step() {
        if (!ensure(LZMA_STREAM_HEADER_SIZE)) return short_input();
        lzma_stream_flags footer{};
        lzma_ret ret = lzma_stream_footer_decode(&footer, inbuf.data() + in_pos);
        in_pos += LZMA_STREAM_HEADER_SIZE;
        if (ret != LZMA_OK) return fail(ret == LZMA_FORMAT_ERROR ? LZMA_DATA_ERROR : ret);
        if (lzma_index_hash_size(index_hash) != footer.backward_size) return fail(LZMA_DATA_ERROR);
        if ((ret = lzma_stream_flags_compare(&flags, &footer)) != LZMA_OK) return fail(ret);
        seq = Seq::padding;
        return std::nullopt;
    }

    // Zero bytes in fours, then the end of the file or another stream.
    Step padding_step() {
        if (!ensure(1)) {
            if (io_error) return fail_read();
            seq = Seq::end;
            return std::nullopt;
        }
        if (inbuf[in_pos] != 0x00) {
            seq = Seq::stream_header;
            return std::nullopt;
        }
        if (!ensure(4)) return io_error ? fail_read() : fail(LZMA_DATA_ERROR);
        if (std::memcmp(inbuf.data() + in_pos, "\0\0\0\0", 4) != 0) return fail(LZMA_DATA_ERROR);
        in_pos += 4;
        return std::nullopt;
    }

    bool job_handed = false;

    std::ptrdiff_t next_released(const char** out) {
        if (job_handed) {
            job_handed = false;
            release_job();
        }
        return next(out);
    }
};

XzDecoder::XzDecoder(ReadAt read_at, Consume consume, std::uint64_t helper_budget)
    : impl_(std::make_unique<Impl>(std::move(read_at), std::move(consume), helper_budget)) {}

XzDecoder::~XzDecoder() = default;

std::ptrdiff_t XzDecoder::next(const char** out) { return impl_->next_released(out); }

const std::string& XzDecoder::error() const { return impl_->error; }

bool XzDecoder::read_failed() const { return impl_->io_error; }

std::uint64_t XzDecoder::helped_blocks() const { return impl_->helped; }

}  // namespace ocx::bundle
