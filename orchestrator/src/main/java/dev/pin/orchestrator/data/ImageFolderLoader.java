package dev.pin.orchestrator.data;

import com.google.protobuf.ByteString;
import dev.pin.v1.Image;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * Reads a folder of target images for textual inversion (§6.3): every {@code *.png}, {@code *.jpg}
 * and {@code *.jpeg} file, sorted by name, decoded once with ImageIO so a corrupt or mislabelled
 * file fails here, with its name, rather than inside the Reward service.
 */
public final class ImageFolderLoader {
  private ImageFolderLoader() {}

  /**
   * Loads the images.
   *
   * @param dir the folder
   * @param maxImages use at most this many (0 = all)
   * @throws NoSuchFileException when the folder does not exist
   * @throws DataFormatException when it holds no images or a file does not decode
   */
  public static List<Image> load(Path dir, int maxImages) throws IOException {
    if (!Files.isDirectory(dir)) {
      throw new NoSuchFileException(dir.toString(), null, "no such folder");
    }
    List<Path> files = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      for (Path p : ds) {
        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
        if (Files.isRegularFile(p)
            && (n.endsWith(".png") || n.endsWith(".jpg") || n.endsWith(".jpeg"))) {
          files.add(p);
        }
      }
    }
    files.sort((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString()));
    if (files.isEmpty()) {
      throw new DataFormatException(
          dir.toString(), 0, "folder holds no images: expected *.png, *.jpg or *.jpeg files");
    }
    if (maxImages > 0 && files.size() > maxImages) {
      files = files.subList(0, maxImages);
    }
    List<Image> images = new ArrayList<>(files.size());
    for (Path p : files) {
      byte[] bytes = Files.readAllBytes(p);
      java.awt.image.BufferedImage decoded;
      try {
        decoded = ImageIO.read(new ByteArrayInputStream(bytes));
      } catch (IOException e) {
        throw new DataFormatException(
            p.toString(), 0, "cannot be decoded as PNG or JPEG: " + e.getMessage());
      }
      if (decoded == null || decoded.getWidth() <= 0 || decoded.getHeight() <= 0) {
        throw new DataFormatException(
            p.toString(), 0, "is not a PNG or JPEG image (ImageIO found no decoder for it)");
      }
      images.add(
          Image.newBuilder().setData(ByteString.copyFrom(bytes)).setSource(p.toString()).build());
    }
    return images;
  }
}
