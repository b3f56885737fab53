package dev.pin.kit.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Properties;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;

/** java.util.logging records print in slf4j-simple's line format: one format in one stream. */
class LogFormatterTest {
  private static Properties resource(String name) throws Exception {
    Properties p = new Properties();
    try (InputStream in = LogFormatterTest.class.getResourceAsStream(name)) {
      p.load(in);
    }
    return p;
  }

  @Test
  void aRecordPrintsAsSlf4jSimplePrintsIt() {
    LogRecord record = new LogRecord(Level.WARNING, "skipping model directory {0}");
    record.setParameters(new Object[] {"/models/x"});
    record.setLoggerName("dev.pin.models.store.ModelStore");
    Instant at = Instant.parse("2026-01-31T12:00:00Z");
    record.setInstant(at);
    String time = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss")
        .withZone(ZoneId.systemDefault()).format(at);
    assertEquals(time + " [WARN] ModelStore - skipping model directory /models/x"
        + System.lineSeparator(), new LogFormatter().format(record));
  }

  @Test
  void levelsTakeSlf4jsNamesAndThrowablesFollowTheLine() {
    assertEquals("ERROR", LogFormatter.level(Level.SEVERE));
    assertEquals("INFO", LogFormatter.level(Level.INFO));
    assertEquals("DEBUG", LogFormatter.level(Level.FINE));
    assertEquals("TRACE", LogFormatter.level(Level.FINEST));
    LogRecord record = new LogRecord(Level.SEVERE, "failed");
    record.setLoggerName("x");
    record.setThrown(new IllegalStateException("boom"));
    String text = new LogFormatter().format(record);
    assertTrue(text.contains("[ERROR] x - failed" + System.lineSeparator()
        + "java.lang.IllegalStateException: boom"), text);
  }

  @Test
  void bothConfigurationsAgreeOnTheFormat() throws Exception {
    // The formatter mirrors these slf4j-simple settings; a change to one must follow the other.
    Properties simple = resource("/simplelogger.properties");
    assertEquals("true", simple.getProperty("org.slf4j.simpleLogger.showDateTime"));
    assertEquals(LogFormatter.DATE_TIME_FORMAT,
        simple.getProperty("org.slf4j.simpleLogger.dateTimeFormat"));
    assertEquals("false", simple.getProperty("org.slf4j.simpleLogger.showThreadName"));
    assertEquals("true", simple.getProperty("org.slf4j.simpleLogger.showShortLogName"));
    assertEquals("true", simple.getProperty("org.slf4j.simpleLogger.levelInBrackets"));
    assertEquals(LogFormatter.class.getName(),
        resource("/logging.properties").getProperty("java.util.logging.ConsoleHandler.formatter"));
  }
}
