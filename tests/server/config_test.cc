#include "server/config.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <string>

#include "gtest/gtest.h"

namespace otter::server {
namespace {

class ConfigTest : public testing::Test {
 protected:
  absl::StatusOr<Config> Load(std::vector<std::string> args) {
    return LoadConfig(args, [this](const char* name) -> const char* {
      auto it = env_.find(name);
      return it == env_.end() ? nullptr : it->second.c_str();
    });
  }
  std::string WriteFile(const std::string& name, const std::string& content) {
    const std::string path = testing::TempDir() + name;
    std::ofstream(path) << content;
    return path;
  }

  std::map<std::string, std::string> env_;
};

TEST_F(ConfigTest, DefaultsListenOnLoopback) {
  absl::StatusOr<Config> c = Load({});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->listen_host, "127.0.0.1");
  EXPECT_EQ(c->listen_port, 7870);
  EXPECT_EQ(c->limits.max_request_bytes, 1u << 20);
  EXPECT_TRUE(c->auth_token.empty());
}

TEST_F(ConfigTest, FlagBeatsEnvironmentBeatsFileBeatsDefault) {
  const std::string file = WriteFile("otterd_precedence.conf",
                                     "# comment\nthreads = 3\nmax_connections = 7 # trailing\n"
                                     "idle_timeout_ms = 1234\n");
  env_["OTTER_THREADS"] = "4";
  env_["OTTER_MAX_CONNECTIONS"] = "8";
  absl::StatusOr<Config> c = Load({"--config", file, "--threads=5", "--listen", "[::1]:0"});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->threads, 5);
  EXPECT_EQ(c->limits.max_connections, 8u);
  EXPECT_EQ(c->limits.idle_timeout_ms, 1234u);
  EXPECT_EQ(c->listen_host, "::1");
  EXPECT_EQ(c->listen_port, 0);
}

TEST_F(ConfigTest, QuerySettingsComeFromFlagsEnvironmentAndFile) {
  absl::StatusOr<Config> defaults = Load({});
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  EXPECT_EQ(defaults->query_threads, 0);
  EXPECT_EQ(defaults->limits.query_deadline_ms, 1000u);
  EXPECT_EQ(defaults->limits.max_queued_queries, 4096u);

  const std::string file = WriteFile("otterd_queries.conf", "query_threads = 3\nmax_queued_queries = 10\n");
  env_["OTTER_QUERY_DEADLINE_MS"] = "250";
  absl::StatusOr<Config> c = Load({"--config", file, "--max-queued-queries", "20"});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->query_threads, 3);
  EXPECT_EQ(c->limits.query_deadline_ms, 250u);
  EXPECT_EQ(c->limits.max_queued_queries, 20u);

  EXPECT_EQ(Load({"--query-deadline-ms", "0"}).status().message(),
            "--query-deadline-ms: must be an integer within [1, 86400000], not \"0\"");
  EXPECT_EQ(Load({"--max-queued-queries", "0"}).status().message(),
            "--max-queued-queries: must be an integer within [1, 1000000], not \"0\"");
  EXPECT_EQ(Load({"--query-threads", "x"}).status().message(),
            "--query-threads: must be an integer within [0, 1024], not \"x\"");
}

TEST_F(ConfigTest, ConsumerNameDefaultsToHostAndListenAddress) {
  char host[256] = {};
  ASSERT_EQ(gethostname(host, sizeof host - 1), 0);
  absl::StatusOr<Config> c = Load({"--listen", "127.0.0.1:7999"});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->consumer_name, std::string(host) + "/127.0.0.1:7999");

  c = Load({"--listen", "", "--unix", "/run/otterd.sock"});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->consumer_name, std::string(host) + "//run/otterd.sock");

  env_["OTTER_CONSUMER_NAME"] = "replica-b";
  c = Load({});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->consumer_name, "replica-b");
  c = Load({"--consumer-name", "replica-c"});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->consumer_name, "replica-c");
}

TEST_F(ConfigTest, ReadsTheAuthTokenWithoutItsNewline) {
  const std::string token = WriteFile("otterd_token", "s3cret\n");
  absl::StatusOr<Config> c = Load({"--auth-token-file", token});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->auth_token, "s3cret");
}

TEST_F(ConfigTest, ErrorsNameTheSettingAndItsSource) {
  EXPECT_EQ(Load({"--lsten", "x"}).status().message(), "unknown flag --lsten");
  EXPECT_EQ(Load({"--threads"}).status().message(), "--threads needs a value");
  EXPECT_EQ(Load({"--threads", "-1"}).status().message(),
            "--threads: must be an integer within [0, 1024], not \"-1\"");
  EXPECT_EQ(Load({"--listen", "localhost"}).status().message(),
            "listen: expected host:port, e.g. 127.0.0.1:7870");
  EXPECT_EQ(Load({"--listen", "", "--unix", ""}).status().message(),
            "nothing to listen on: set listen or unix");
  EXPECT_EQ(Load({"--log-level", "loud"}).status().message(),
            "--log-level: log_level must be debug, info, warn or error, not \"loud\"");
  env_["OTTER_MAX_REQUEST_BYTES"] = "1";
  EXPECT_EQ(Load({}).status().message(),
            "OTTER_MAX_REQUEST_BYTES: must be an integer within [64, 67108864], not \"1\"");
  env_.clear();
  const std::string file = WriteFile("otterd_bad.conf", "threads = 2\nlistn = 1\n");
  EXPECT_EQ(Load({"--config", file}).status().message(), file + ":2: unknown key \"listn\"");
  const std::string empty = WriteFile("otterd_empty_token", "\n");
  EXPECT_EQ(Load({"--auth-token-file", empty}).status().message(), "auth_token_file: the file is empty");
  EXPECT_EQ(Load({"--auth-token-file", "/nonexistent/token"}).status().message(),
            "auth_token_file: cannot read \"/nonexistent/token\": No such file or directory");
}

}  // namespace
}  // namespace otter::server
