package dev.pin.kit.server;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.logging.Formatter;
import java.util.logging.Level;
import java.util.logging.LogRecord;

/**
 * java.util.logging records in the line format of slf4j-simple as {@code simplelogger.properties}
 * configures it ({@code 2026-01-31 12:00:00 [WARN] ModelStore - message}), so that the services'
 * two logging APIs (slf4j in most classes, java.util.logging in the model code and in gRPC) print
 * one format into one stream. slf4j's level names are used: WARNING is WARN, SEVERE is ERROR.
 */
public final class LogFormatter extends Formatter {
  /** slf4j-simple's {@code dateTimeFormat} in {@code simplelogger.properties}. */
  static final String DATE_TIME_FORMAT = "yyyy-MM-dd HH:mm:ss";

  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern(DATE_TIME_FORMAT).withZone(ZoneId.systemDefault());

  @Override
  public String format(LogRecord record) {
    StringBuilder line = new StringBuilder()
        .append(TIME.format(record.getInstant()))
        .append(" [").append(level(record.getLevel())).append("] ")
        .append(shortName(record.getLoggerName())).append(" - ")
        .append(formatMessage(record))
        .append(System.lineSeparator());
    if (record.getThrown() != null) {
      StringWriter trace = new StringWriter();
      record.getThrown().printStackTrace(new PrintWriter(trace));
      line.append(trace);
    }
    return line.toString();
  }

  /** slf4j's name of a java.util.logging level. */
  static String level(Level level) {
    int v = level.intValue();
    if (v >= Level.SEVERE.intValue()) {
      return "ERROR";
    }
    if (v >= Level.WARNING.intValue()) {
      return "WARN";
    }
    if (v >= Level.INFO.intValue()) {
      return "INFO";
    }
    return v >= Level.FINE.intValue() ? "DEBUG" : "TRACE";
  }

  /** What slf4j-simple's {@code showShortLogName} prints: the name after the last dot. */
  static String shortName(String loggerName) {
    if (loggerName == null || loggerName.isEmpty()) {
      return "root";
    }
    return loggerName.substring(loggerName.lastIndexOf('.') + 1);
  }
}
