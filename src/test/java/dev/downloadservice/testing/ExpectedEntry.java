package dev.downloadservice.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.CRC32;

/** What a reader must find for one entry, worked out from the folder on disk, independently of the service. */
public record ExpectedEntry(String name, long size, long crc) {

    /**
     * Everything below {@code folder} but hidden names, in archive order (UTF-8 bytes of the name). Names are
     * in NFC, as the default --entry-names portable makes them; a test of any other rule of portable names
     * says what it expects by name.
     */
    public static List<ExpectedEntry> fromFolder(Path folder) throws IOException {
        try (Stream<Path> paths = Files.walk(folder)) {
            return paths.filter(p -> !p.equals(folder))
                    .filter(p -> !folder.relativize(p).toString().startsWith(".") && !folder.relativize(p).toString().contains("/."))
                    .map(p -> of(folder, p))
                    .sorted(Comparator.comparing(e -> e.name().getBytes(StandardCharsets.UTF_8), Arrays::compareUnsigned))
                    .toList();
        }
    }

    /** The entries of these files (name → content) and the directories their names imply, in archive order. */
    public static List<ExpectedEntry> fromFiles(Map<String, byte[]> files) {
        Map<String, ExpectedEntry> entries = new HashMap<>();
        files.forEach((name, content) -> {
            CRC32 crc = new CRC32();
            crc.update(content);
            entries.put(name, new ExpectedEntry(name, content.length, crc.getValue()));
            for (int slash = name.indexOf('/'); slash >= 0; slash = name.indexOf('/', slash + 1)) {
                entries.putIfAbsent(name.substring(0, slash + 1), new ExpectedEntry(name.substring(0, slash + 1), 0, 0));
            }
        });
        return entries.values().stream()
                .sorted(Comparator.comparing(e -> e.name().getBytes(StandardCharsets.UTF_8), Arrays::compareUnsigned))
                .toList();
    }

    private static ExpectedEntry of(Path folder, Path path) {
        String name = Normalizer.normalize(folder.relativize(path).toString(), Normalizer.Form.NFC);
        if (Files.isDirectory(path)) {
            return new ExpectedEntry(name + "/", 0, 0);
        }
        try (InputStream in = Files.newInputStream(path)) {
            return read(name, in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The entry as read from a stream: its length and CRC-32. */
    public static ExpectedEntry read(String name, InputStream in) throws IOException {
        CRC32 crc = new CRC32();
        byte[] buffer = new byte[1 << 16];
        long size = 0;
        for (int n; (n = in.read(buffer)) > 0; ) {
            crc.update(buffer, 0, n);
            size += n;
        }
        return new ExpectedEntry(name, size, crc.getValue());
    }

    public boolean isDirectory() {
        return name.endsWith("/");
    }
}
