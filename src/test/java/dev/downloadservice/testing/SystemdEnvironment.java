package dev.downloadservice.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * An environment file read by systemd's own parser, never by one of ours. systemd is not PID 1 where the tests run,
 * so the parser is reached through its environment.d generator, which reads {@code $XDG_CONFIG_HOME/environment.d/*.conf}
 * with the tokenizer of {@code EnvironmentFile=} (comments, quotes, escapes, continued lines) and prints what it read.
 * The generator differs from {@code EnvironmentFile=} in two things only, so a file that has either is refused here
 * rather than read wrongly: it expands {@code $NAME}, and it drops a variable with an empty value (with a message).
 */
public final class SystemdEnvironment {

    private static final Path GENERATOR =
            Path.of("/usr/lib/systemd/user-environment-generators/30-systemd-environment-d-generator");
    /** Where the generator also looks; each file there is masked by an empty one of the same name. */
    private static final List<Path> SYSTEM_DIRECTORIES = Stream.of("/etc", "/run", "/usr/local/lib", "/usr/lib", "/lib")
            .map(dir -> Path.of(dir, "environment.d")).toList();
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private SystemdEnvironment() {
    }

    /** The variables that {@code EnvironmentFile=file} gives a service, in the order systemd read them. */
    public static Map<String, String> read(Path file) throws IOException, InterruptedException {
        for (String line : Files.readAllLines(file)) {
            assertThat(line.startsWith("#") || !line.contains("$"))
                    .as("%s: the generator would expand the $ in '%s', EnvironmentFile= does not", file, line).isTrue();
        }
        Path config = Files.createTempDirectory("systemd-environment");
        try {
            Path conf = Files.createDirectory(config.resolve("environment.d"));
            for (Path dir : SYSTEM_DIRECTORIES) {
                if (Files.isDirectory(dir)) {
                    try (Stream<Path> files = Files.list(dir)) {
                        for (Path other : files.toList()) {
                            Path mask = conf.resolve(other.getFileName());
                            if (!Files.exists(mask)) { // /lib is /usr/lib on Debian 12
                                Files.createFile(mask);
                            }
                        }
                    }
                }
            }
            assertThat(generate(config)).as("the machine's own environment.d files, all masked").isEmpty();
            Files.copy(file, conf.resolve("zz-read.conf"));
            return generate(config);
        } finally {
            try (Stream<Path> files = Files.walk(config)) {
                for (Path path : files.sorted((a, b) -> b.compareTo(a)).toList()) {
                    Files.delete(path);
                }
            }
        }
    }

    private static Map<String, String> generate(Path configHome) throws IOException, InterruptedException {
        Commands.Result result = Commands.run(TIMEOUT, "env", "-i", "XDG_CONFIG_HOME=" + configHome, GENERATOR.toString());
        assertThat(result.exit()).as(result.describe()).isZero();
        assertThat(result.err()).as("what systemd's parser said of the file").isEmpty();
        Map<String, String> variables = new LinkedHashMap<>();
        for (String line : result.out().lines().toList()) {
            int equals = line.indexOf('=');
            variables.put(line.substring(0, equals), unquote(line.substring(equals + 1)));
        }
        return variables;
    }

    /** The generator prints a value that needs it as a shell word in double quotes, escaping with a backslash. */
    private static String unquote(String printed) {
        if (printed.length() < 2 || !printed.startsWith("\"") || !printed.endsWith("\"")) {
            return printed;
        }
        return printed.substring(1, printed.length() - 1).replaceAll("\\\\(.)", "$1");
    }
}
