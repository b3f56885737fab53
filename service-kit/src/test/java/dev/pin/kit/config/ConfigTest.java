package dev.pin.kit.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigTest {
  @TempDir Path dir;

  private Path yaml(String text) throws Exception {
    Path file = dir.resolve("pin.yaml");
    Files.writeString(file, text);
    return file;
  }

  @Test
  void flagsOverrideEnvironmentWhichOverridesTheFile() throws Exception {
    Path file = yaml("policy:\n  port: 1111\n  metrics-port: 2222\n  max_policies: 3\n");
    Config config = Config.load(
        List.of("--config", file.toString(), "--policy.port=3333"),
        Map.of("PIN_POLICY_PORT", "4444", "PIN_POLICY_METRICS_PORT", "5555"));
    assertEquals(3333, config.port("policy.port", 1));
    assertEquals(5555, config.integer("policy.metrics-port", 1, -1, 65535));
    assertEquals(3, config.integer("policy.max-policies", 8, 1, 100), "snake_case keys normalise");
    assertEquals(7, config.integer("policy.absent", 7, 1, 100));
  }

  @Test
  void theConfigFileCanComeFromTheEnvironment() throws Exception {
    Path file = yaml("reward:\n  device: cuda:1\n");
    Config config = Config.load(List.of(), Map.of("PIN_CONFIG", file.toString()));
    assertEquals("cuda:1", config.string("reward.device", "cpu"));
  }

  @Test
  void invalidValuesNameTheKeyTheExpectationAndTheOrigin() {
    Config config = Config.load(List.of("--policy.port=http"), Map.of());
    ConfigException e = assertThrows(ConfigException.class, () -> config.port("policy.port", 1));
    assertEquals("policy.port", e.key());
    assertTrue(e.getMessage().contains("expected an integer between 0 and 65535"), e.getMessage());
    assertTrue(e.getMessage().contains("got 'http' (from flag --policy.port)"), e.getMessage());

    Config env = Config.load(List.of(), Map.of("PIN_ORCHESTRATOR_CALL_DEADLINE", "soon"));
    ConfigException d = assertThrows(ConfigException.class,
        () -> env.duration("orchestrator.call-deadline", Duration.ofSeconds(1)));
    assertTrue(d.getMessage().contains("environment variable PIN_ORCHESTRATOR_CALL_DEADLINE"),
        d.getMessage());
  }

  @Test
  void durationsSizesAndAddressesParse() {
    Config config = Config.of(Map.of("a", "250ms", "b", "2m", "c", "PT3S", "d", "64MiB",
        "e", "dns:///reward:50052", "f", "localhost:1", "g", "nowhere"));
    assertEquals(Duration.ofMillis(250), config.duration("a", Duration.ZERO));
    assertEquals(Duration.ofMinutes(2), config.duration("b", Duration.ZERO));
    assertEquals(Duration.ofSeconds(3), config.duration("c", Duration.ZERO));
    assertEquals(64L << 20, config.bytes("d", 0, 0, 1L << 30));
    assertEquals("dns:///reward:50052", config.address("e", ""));
    assertEquals("localhost:1", config.address("f", ""));
    assertThrows(ConfigException.class, () -> config.address("g", ""));
  }

  @Test
  void unknownKeysOfOwnSectionsAreErrorsOthersBelongToOtherProcesses() throws Exception {
    Path file = yaml("policy:\n  port: 1\n  prot: 2\nreward:\n  port: 3\n");
    Config config = Config.load(List.of("--config=" + file), Map.of());
    config.port("policy.port", 0);
    ConfigException e = assertThrows(ConfigException.class,
        () -> config.requireAllConsumed(List.of("policy", "models")));
    assertEquals("policy.prot", e.key());
    assertTrue(e.getMessage().contains("file " + file), e.getMessage());

    Config typo = Config.load(List.of("--polciy.port=1"), Map.of());
    assertThrows(ConfigException.class, () -> typo.requireAllConsumed(List.of("policy")));
  }

  @Test
  void missingFileIsAClearError() {
    ConfigException e = assertThrows(ConfigException.class,
        () -> Config.load(List.of("--config", dir.resolve("nope.yaml").toString()), Map.of()));
    assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
  }

  @Test
  void serverSettingsValidateTheirFields() {
    ServerSettings s = ServerSettings.read(Config.empty(), "reward");
    assertEquals(50052, s.port());
    assertEquals(9452, s.metricsPort());
    ConfigException e = assertThrows(ConfigException.class,
        () -> ServerSettings.read(Config.of(Map.of("reward.shutdown-grace", "-1s")), "reward"));
    assertEquals("reward.shutdown-grace", e.key());
  }
}
