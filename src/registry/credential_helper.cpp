#include "registry/credential_helper.hpp"

#include <boost/json.hpp>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstring>

#include "util/redact.hpp"

extern char** environ;

namespace ocx::registry {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

namespace {

constexpr std::size_t kMaxOutput = 64 * 1024;

// Closes a descriptor on scope exit.
struct Fd {
    int fd = -1;
    Fd() = default;
    explicit Fd(int f) : fd(f) {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() { reset(); }
    void reset() {
        if (fd >= 0) ::close(fd);
        fd = -1;
    }
};

struct ProcessResult {
    int exit_code = -1;
    std::string out;
};

Error helper_error(std::string_view program, const std::string& what) {
    return make_error(ErrorKind::unavailable, "credential helper " + std::string(program) + ": " + what);
}

// Runs `exe arg` with `input` on stdin, capturing stdout (stderr is discarded: helpers print their
// answers, including "not found", on stdout). stdin is a socket so that a helper exiting early
// gives us EPIPE from send(MSG_NOSIGNAL) instead of a SIGPIPE.
Result<ProcessResult> run_process(const fs::path& exe, const std::string& arg, std::string_view input,
                                  milliseconds timeout) {
    const std::string program = exe.filename().string();
    int in_pair[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in_pair) != 0)
        return helper_error(program, std::string("socketpair: ") + std::strerror(errno));
    Fd in_ours(in_pair[0]), in_theirs(in_pair[1]);
    int out_pipe[2];
    if (::pipe2(out_pipe, O_CLOEXEC) != 0) return helper_error(program, std::string("pipe: ") + std::strerror(errno));
    Fd out_ours(out_pipe[0]), out_theirs(out_pipe[1]);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in_theirs.fd, 0);
    posix_spawn_file_actions_adddup2(&actions, out_theirs.fd, 1);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    std::string exe_str = exe.string();
    std::string arg_copy = arg;
    char* argv[] = {exe_str.data(), arg_copy.data(), nullptr};
    pid_t pid = 0;
    const int rc = ::posix_spawn(&pid, exe_str.c_str(), &actions, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) return helper_error(program, std::string("cannot run: ") + std::strerror(rc));
    in_theirs.reset();
    out_theirs.reset();

    // The input is a host name: far below any socket buffer, so one blocking send cannot deadlock.
    (void)::send(in_ours.fd, input.data(), input.size(), MSG_NOSIGNAL);
    in_ours.reset();

    ProcessResult result;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    bool timed_out = false;
    for (;;) {
        const auto left = std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            timed_out = true;
            break;
        }
        pollfd p{out_ours.fd, POLLIN, 0};
        const int n = ::poll(&p, 1, static_cast<int>(left.count()));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            timed_out = n == 0;
            break;
        }
        char buf[4096];
        const ssize_t got = ::read(out_ours.fd, buf, sizeof buf);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) break;
        if (result.out.size() < kMaxOutput) result.out.append(buf, static_cast<std::size_t>(got));
    }
    if (timed_out) ::kill(pid, SIGKILL);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (timed_out)
        return helper_error(program, "no answer within " + std::to_string(timeout.count() / 1000) + " s (killed)");
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    return result;
}

bool valid_helper_name(std::string_view name) {
    if (name.empty()) return false;
    for (char c : name)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') return false;
    return name != "." && name != "..";
}

}  // namespace

std::optional<fs::path> find_in_path(std::string_view program, std::string_view path_list) {
    std::size_t start = 0;
    while (start <= path_list.size()) {
        const std::size_t end = std::min(path_list.find(':', start), path_list.size());
        std::string dir(path_list.substr(start, end - start));
        if (dir.empty()) dir = ".";
        const fs::path candidate = fs::path(dir) / std::string(program);
        std::error_code ec;
        if (fs::is_regular_file(candidate, ec) && ::access(candidate.c_str(), X_OK) == 0) return candidate;
        start = end + 1;
    }
    return std::nullopt;
}

Result<std::optional<Credentials>> run_credential_helper(std::string_view name, std::string_view host, const EnvLookup& env,
                                                         milliseconds timeout) {
    const std::string program = "docker-credential-" + std::string(name);
    if (!valid_helper_name(name)) return helper_error(program, "not a valid helper name");
    const std::optional<std::string> path = env("PATH");
    const std::optional<fs::path> exe = find_in_path(program, path ? *path : "/usr/local/bin:/usr/bin:/bin");
    if (!exe) return helper_error(program, "not found on PATH");

    auto run = run_process(*exe, "get", host, timeout);
    if (!run) return std::move(run).error();

    boost::system::error_code ec;
    const boost::json::value doc = boost::json::parse(run->out, ec);
    if (run->exit_code != 0) {
        if (run->out.find("credentials not found") != std::string::npos) return std::optional<Credentials>();
        // The output is not echoed: a misbehaving helper might print a secret.
        return helper_error(program, "get failed with exit code " + std::to_string(run->exit_code));
    }
    if (ec || !doc.is_object()) return helper_error(program, "get printed something that is not a JSON object");
    const auto& o = doc.as_object();
    auto field = [&](std::string_view key) {
        const auto* v = o.if_contains(key);
        return v && v->is_string() ? std::string(v->as_string()) : std::string();
    };
    Credentials creds;
    creds.username = field("Username");
    creds.secret = field("Secret");
    register_secret(creds.secret);
    if (creds.secret.empty()) return std::optional<Credentials>();
    if (creds.username == "<token>") {
        creds.kind = Credentials::Kind::identity_token;
        creds.username.clear();
    } else {
        creds.kind = Credentials::Kind::basic;
    }
    return std::optional<Credentials>(std::move(creds));
}

}  // namespace ocx::registry
