package dev.downloadservice.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;

/**
 * The independent readers an archive must open in, each checking names (in order),
 * sizes and CRC-32s against what is on disk, and reading every byte.
 */
public enum ZipReader {

    UNZIP_TEST {
        @Override
        public void check(Path zip, List<ExpectedEntry> expected) throws Exception {
            Commands.Result result = Commands.run(TIMEOUT, "unzip", "-t", zip.toString());
            if (expected.isEmpty()) {
                // Info-ZIP reports an empty archive as a warning (exit 1), not as an error.
                assertThat(result.exit()).as(result.describe()).isEqualTo(1);
                assertThat(result.out() + result.err()).contains("zipfile is empty");
                return;
            }
            assertThat(result.exit()).as(result.describe()).isZero();
            assertThat(result.out()).contains("No errors detected");
            assertThat(result.out().lines().filter(l -> l.strip().startsWith("testing:") && l.endsWith("OK")).count())
                    .as(result.describe()).isEqualTo(expected.size());
        }
    },

    ZIPINFO {
        @Override
        public void check(Path zip, List<ExpectedEntry> expected) throws Exception {
            Commands.Result result = Commands.run(TIMEOUT, "zipinfo", "-1", zip.toString());
            if (expected.isEmpty()) {
                assertThat(result.out() + result.err()).as(result.describe()).contains("Empty zipfile");
                return;
            }
            assertThat(result.exit()).as(result.describe()).isZero();
            assertThat(result.out().lines().toList()).isEqualTo(names(expected));
        }
    },

    SEVEN_ZIP {
        @Override
        public void check(Path zip, List<ExpectedEntry> expected) throws Exception {
            Commands.Result test = Commands.run(TIMEOUT, "7z", "t", zip.toString());
            assertThat(test.exit()).as(test.describe()).isZero();
            assertThat(test.out()).contains("Everything is Ok");
            Commands.Result list = Commands.run(TIMEOUT, "7z", "l", "-slt", "-ba", zip.toString());
            assertThat(list.exit()).as(list.describe()).isZero();
            List<String> lines = new ArrayList<>();
            String path = null;
            String size = null;
            for (String line : list.out().lines().toList()) {
                if (line.startsWith("Path = ")) {
                    path = line.substring(7);
                } else if (line.startsWith("Size = ")) {
                    size = line.substring(7);
                } else if (line.startsWith("CRC = ")) {
                    String crc = line.substring(6);
                    lines.add(path + "|" + size + "|" + (crc.isEmpty() ? "0" : Long.toString(Long.parseLong(crc, 16))));
                }
            }
            List<String> want = expected.stream().map(e -> (e.isDirectory() ? e.name().substring(0, e.name().length() - 1) : e.name())
                    + "|" + e.size() + "|" + e.crc()).toList();
            assertThat(lines).isEqualTo(want);
        }
    },

    BSDTAR {
        @Override
        public void check(Path zip, List<ExpectedEntry> expected) throws Exception {
            Commands.Result result = Commands.run(TIMEOUT, "bsdtar", "-tf", zip.toString());
            assertThat(result.exit()).as(result.describe()).isZero();
            // libarchive composes decomposed (NFD) names when it lists them; the archive holds them as on disk.
            assertThat(result.out().lines().map(ZipReader::nfc).toList())
                    .isEqualTo(names(expected).stream().map(ZipReader::nfc).toList());
        }
    },

    PYTHON_ZIPFILE {
        @Override
        public void check(Path zip, List<ExpectedEntry> expected) throws Exception {
            Commands.Result result = Commands.run(TIMEOUT, "python3", script(), zip.toString());
            assertThat(result.exit()).as(result.describe()).isZero();
            List<String> want = expected.stream()
                    .map(e -> e.name() + "\t" + e.size() + "\t" + hex(e.crc()) + "\t" + hex(e.crc())).toList();
            assertThat(result.out().lines().toList()).isEqualTo(want);
        }
    },

    JDK_ZIP_INPUT_STREAM {
        @Override
        public void check(Path zip, List<ExpectedEntry> expected) throws Exception {
            List<ExpectedEntry> read = new ArrayList<>();
            try (ZipInputStream in = new ZipInputStream(Files.newInputStream(zip))) {
                for (ZipEntry entry; (entry = in.getNextEntry()) != null; ) {
                    // The CRC is in the local header (no data descriptor), so a streaming reader knows it up front.
                    read.add(readChecked(entry.getName(), entry.getCrc(), in));
                }
            }
            assertThat(read).isEqualTo(expected);
        }
    },

    JDK_ZIP_FILE {
        @Override
        public void check(Path zip, List<ExpectedEntry> expected) throws Exception {
            List<ExpectedEntry> read = new ArrayList<>();
            try (java.util.zip.ZipFile file = new java.util.zip.ZipFile(zip.toFile())) {
                for (ZipEntry entry : Collections.list(file.entries())) {
                    try (InputStream in = file.getInputStream(entry)) {
                        ExpectedEntry content = readChecked(entry.getName(), entry.getCrc(), in);
                        assertThat(entry.getSize()).isEqualTo(content.size());
                        read.add(content);
                    }
                }
            }
            assertThat(read).isEqualTo(expected);
        }
    },

    COMMONS_COMPRESS {
        @Override
        public void check(Path zip, List<ExpectedEntry> expected) throws Exception {
            List<ExpectedEntry> read = new ArrayList<>();
            try (org.apache.commons.compress.archivers.zip.ZipFile file =
                         org.apache.commons.compress.archivers.zip.ZipFile.builder().setPath(zip).get()) {
                for (ZipArchiveEntry entry : Collections.list(file.getEntriesInPhysicalOrder())) {
                    assertThat(entry.isDirectory()).isEqualTo(entry.getName().endsWith("/"));
                    assertThat(entry.getPlatform()).isEqualTo(ZipArchiveEntry.PLATFORM_UNIX);
                    try (InputStream in = file.getInputStream(entry)) {
                        read.add(readChecked(entry.getName(), entry.getCrc(), in));
                    }
                }
            }
            assertThat(read).isEqualTo(expected);
        }
    };

    private static final Duration TIMEOUT = Duration.ofMinutes(5);

    /** Checks the archive with this reader; fails the test with what the reader said. */
    public abstract void check(Path zip, List<ExpectedEntry> expected) throws Exception;

    /** Reads an entry's bytes, checking them against the CRC-32 the reader found in the archive's headers. */
    private static ExpectedEntry readChecked(String name, long storedCrc, InputStream in) throws IOException {
        ExpectedEntry content = ExpectedEntry.read(name, in);
        assertThat(storedCrc).as(name).isEqualTo(content.crc());
        return content;
    }

    private static List<String> names(List<ExpectedEntry> expected) {
        return expected.stream().map(ExpectedEntry::name).toList();
    }

    private static String nfc(String name) {
        return Normalizer.normalize(name, Normalizer.Form.NFC);
    }

    private static String hex(long crc) {
        return String.format("%08x", crc);
    }

    private static String script() throws URISyntaxException {
        return Path.of(ZipReader.class.getResource("/zipcheck.py").toURI()).toString();
    }
}
