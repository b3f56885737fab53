package dev.pin.orchestrator.data;

import java.io.IOException;

/**
 * A data file that exists but cannot be read as the expected format. The message starts with {@code
 * <file>:<line>:} (line from 1, omitted when the problem concerns the whole file) and says what was
 * expected, so a person can open the file at that line and fix it.
 */
public final class DataFormatException extends IOException {
  private static final long serialVersionUID = 1L;

  private final String file;
  private final int line;

  /**
   * Creates an error about one line of a file.
   *
   * @param file the file as the user named it (or a resource name)
   * @param line line number from 1, or 0 when the problem is about the whole file
   * @param problem what was found and what was expected
   */
  public DataFormatException(String file, int line, String problem) {
    super(line > 0 ? file + ":" + line + ": " + problem : file + ": " + problem);
    this.file = file;
    this.line = line;
  }

  /** The file the problem is in. */
  public String file() {
    return file;
  }

  /** The line number from 1, or 0 for a problem with the whole file. */
  public int line() {
    return line;
  }
}
