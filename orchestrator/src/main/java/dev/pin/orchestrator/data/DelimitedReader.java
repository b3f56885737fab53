package dev.pin.orchestrator.data;

import java.io.IOException;
import java.io.Reader;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits delimited text into records the way pandas' C parser does with {@code sep='\t'} and its
 * defaults (QUOTE_MINIMAL, {@code quotechar='"'}, {@code doublequote=True}, no escape character,
 * blank lines skipped).
 *
 * <p>Why not split on tabs: the few-shot test sets quote some sentences ({@code "a ""quoted""
 * review"}), and the papers' numbers were computed on the unquoted text (shared/data/README.md).
 * Rules, mirroring pandas' tokenizer states:
 *
 * <ul>
 *   <li>a field that starts with {@code "} is quoted: inside it {@code ""} is one quote, tabs and
 *       line breaks are literal, and the next lone {@code "} closes the quotes;
 *   <li>characters after the closing quote (before the delimiter) are appended to the field;
 *   <li>a quote inside an unquoted field is a literal character;
 *   <li>{@code \r\n}, {@code \n} and {@code \r} end a record; a UTF-8 byte-order mark is dropped.
 * </ul>
 */
final class DelimitedReader {

  /** One record: its fields and the line it starts on (from 1). */
  record Record(int line, List<String> fields) {}

  private final Reader in;
  private final char delimiter;
  private final String fileName;
  private int line = 1;
  private int pushedBack = -2;

  DelimitedReader(Reader in, char delimiter, String fileName) {
    this.in = in;
    this.delimiter = delimiter;
    this.fileName = fileName;
  }

  /** Reads every non-blank record. */
  List<Record> readAll() throws IOException {
    List<Record> records = new ArrayList<>();
    int first = read();
    if (first != '\uFEFF' && first != -1) {
      unread(first);
    }
    Record r;
    while ((r = next()) != null) {
      records.add(r);
    }
    return records;
  }

  /** The next non-blank record, or null at the end of input. */
  private Record next() throws IOException {
    while (true) {
      int startLine = line;
      int c = read();
      if (c == -1) {
        return null;
      }
      if (c == '\n' || c == '\r') {
        consumeLineEnd(c);
        continue; // pandas' skip_blank_lines
      }
      unread(c);
      return new Record(startLine, readFields(startLine));
    }
  }

  private List<String> readFields(int startLine) throws IOException {
    List<String> fields = new ArrayList<>();
    StringBuilder field = new StringBuilder();
    boolean atFieldStart = true;
    boolean inQuotes = false;
    while (true) {
      int c = read();
      if (inQuotes) {
        if (c == -1) {
          throw new DataFormatException(
              fileName, startLine, "quoted field is never closed: expected a closing '\"'");
        }
        if (c == '"') {
          int d = read();
          if (d == '"') {
            field.append('"');
          } else {
            inQuotes = false;
            unread(d);
          }
        } else {
          // Line breaks inside quotes belong to the field; count them for later line numbers.
          if (c == '\n') {
            line++;
          } else if (c == '\r') {
            int d = read();
            unread(d);
            if (d != '\n') {
              line++;
            }
          }
          field.append((char) c);
        }
        continue;
      }
      if (c == -1 || c == '\n' || c == '\r') {
        fields.add(field.toString());
        if (c != -1) {
          consumeLineEnd(c);
        }
        return fields;
      }
      if (c == delimiter) {
        fields.add(field.toString());
        field.setLength(0);
        atFieldStart = true;
        continue;
      }
      if (c == '"' && atFieldStart) {
        inQuotes = true;
        atFieldStart = false;
        continue;
      }
      atFieldStart = false;
      field.append((char) c);
    }
  }

  private void consumeLineEnd(int c) throws IOException {
    if (c == '\r') {
      int d = read();
      if (d != '\n') {
        unread(d);
      }
    }
    line++;
  }

  private int read() throws IOException {
    if (pushedBack != -2) {
      int c = pushedBack;
      pushedBack = -2;
      return c;
    }
    return in.read();
  }

  private void unread(int c) {
    pushedBack = c;
  }
}
