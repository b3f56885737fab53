package dev.pin.scorer;

import dev.pin.scorer.readability.WordList;
import io.grpc.Status;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * The word list of the dictionary-word share, read once on first use: the file {@code
 * scorer.word-list} names, or the list bundled with the scorer when that key is unset.
 */
final class Dictionary {
  /** Null for the bundled list. */
  private final Path path;
  private volatile WordList words;

  Dictionary(Path path) {
    this.path = path;
  }

  /** What the list is, for logs: the file or the bundled list. */
  String describe() {
    return path == null ? WordList.BUNDLED_SOURCE : path.toString();
  }

  /**
   * The word list.
   *
   * @throws io.grpc.StatusRuntimeException FAILED_PRECONDITION when the file is missing or bad
   */
  WordList get() {
    WordList w = words;
    if (w != null) {
      return w;
    }
    synchronized (this) {
      if (words == null) {
        if (path == null) {
          words = WordList.bundled();
          return words;
        }
        try {
          words = WordList.load(path);
        } catch (NoSuchFileException e) {
          throw Status.FAILED_PRECONDITION.withDescription("scorer.word-list names " + path
              + ", which does not exist: point it at a file with one word per line, or unset it"
              + " to use the word list bundled with the scorer").asRuntimeException();
        } catch (IOException e) {
          throw Status.FAILED_PRECONDITION.withDescription("cannot read the word list " + path
              + " (scorer.word-list): " + e.getMessage()).asRuntimeException();
        }
      }
      return words;
    }
  }
}
