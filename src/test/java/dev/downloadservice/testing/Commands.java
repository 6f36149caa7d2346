package dev.downloadservice.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs an external program to completion; a missing program fails the test, it never skips it. */
public final class Commands {

    public record Result(int exit, String out, String err) {
        public String describe() {
            return "exit " + exit + "\nstdout:\n" + tail(out) + "\nstderr:\n" + tail(err);
        }

        private static String tail(String text) {
            return text.length() > 4000 ? "..." + text.substring(text.length() - 4000) : text;
        }
    }

    private Commands() {
    }

    public static Result run(Duration timeout, String... command) throws IOException, InterruptedException {
        return run(timeout, new ProcessBuilder(command));
    }

    /** Runs {@code builder}'s command, with its environment, and its standard input closed. */
    public static Result run(Duration timeout, ProcessBuilder builder) throws IOException, InterruptedException {
        Path out = Files.createTempFile("cmd", ".out");
        Path err = Files.createTempFile("cmd", ".err");
        try {
            builder.redirectOutput(out.toFile()).redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.PIPE);
            Map<String, String> env = builder.environment();
            env.put("LC_ALL", "C.UTF-8");
            Process process = builder.start();
            process.getOutputStream().close();
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new AssertionError(builder.command() + " did not finish within " + timeout);
            }
            return new Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
