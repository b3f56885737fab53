package dev.pin.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.pin.kit.config.Config;
import dev.pin.kit.config.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OrchestratorSettingsTest {
  @TempDir Path home;

  /** Users' tokens alone would leave every run's peer calls UNAUTHENTICATED: said at start. */
  @Test
  void authenticationWithoutATokenForThePeersIsAConfigurationError() throws Exception {
    Path tokens = Files.writeString(home.resolve("tokens"), "alice alice-token-0123456789\n");
    ConfigException e = assertThrows(ConfigException.class, () -> OrchestratorSettings.read(
        Config.of(Map.of("auth.tokens-file", tokens.toString()))));
    assertEquals("orchestrator.policy.auth-token", e.key());
    OrchestratorSettings ok = OrchestratorSettings.read(Config.of(Map.of(
        "auth.tokens-file", tokens.toString(), "auth.token", "ensemble-token-0123456789",
        "orchestrator.data-roots", home + "/a, " + home + "/b")));
    assertEquals("ensemble-token-0123456789", ok.policy().authToken());
    assertEquals(List.of(home.resolve("a"), home.resolve("b")), ok.dataRoots());
  }
}
