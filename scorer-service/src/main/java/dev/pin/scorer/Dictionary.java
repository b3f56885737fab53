package dev.pin.scorer;

import dev.pin.scorer.readability.WordList;
import io.grpc.Status;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** The configured word list, read once on first use ({@code scorer.word-list}). */
final class Dictionary {
  private final Path path;
  private volatile WordList words;

  Dictionary(Path path) {
    this.path = path;
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
        try {
          words = WordList.load(path);
        } catch (NoSuchFileException e) {
          throw Status.FAILED_PRECONDITION.withDescription("the dictionary-word share needs a word"
              + " list, and " + path + " does not exist: install one (Debian: apt-get install"
              + " wamerican) or point scorer.word-list at a file with one word per line")
              .asRuntimeException();
        } catch (IOException e) {
          throw Status.FAILED_PRECONDITION.withDescription("cannot read the word list " + path
              + " (scorer.word-list): " + e.getMessage()).asRuntimeException();
        }
      }
      return words;
    }
  }
}
