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
    return load(dir, maxImages, null, dir.toString());
  }

  /**
   * Loads the images of a folder inside {@code roots} (null: anywhere), naming it and its files
   * as {@code spelled} (the request's spelling) in messages and in each image's source when
   * confined, so no server path goes back to the caller.
   */
  public static List<Image> load(Path dir, int maxImages, DataRoots roots, String spelled)
      throws IOException {
    java.util.function.Function<Path, String> name = roots == null ? Path::toString
        : p -> p.equals(dir) ? spelled : spelled + "/" + dir.relativize(p);
    if (!Files.isDirectory(dir)) {
      throw new NoSuchFileException(name.apply(dir), null, "no such folder");
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
          name.apply(dir), 0, "folder holds no images: expected *.png, *.jpg or *.jpeg files");
    }
    if (maxImages > 0 && files.size() > maxImages) {
      files = files.subList(0, maxImages);
    }
    List<Image> images = new ArrayList<>(files.size());
    for (Path p : files) {
      if (roots != null) {
        roots.check(p, name.apply(p)); // a link out of the roots
      }
      byte[] bytes = Files.readAllBytes(p);
      java.awt.image.BufferedImage decoded;
      try {
        decoded = ImageIO.read(new ByteArrayInputStream(bytes));
      } catch (IOException e) {
        throw new DataFormatException(
            name.apply(p), 0, "cannot be decoded as PNG or JPEG: " + e.getMessage());
      }
      if (decoded == null || decoded.getWidth() <= 0 || decoded.getHeight() <= 0) {
        throw new DataFormatException(
            name.apply(p), 0, "is not a PNG or JPEG image (ImageIO found no decoder for it)");
      }
      images.add(
          Image.newBuilder().setData(ByteString.copyFrom(bytes)).setSource(name.apply(p)).build());
    }
    return images;
  }
}
