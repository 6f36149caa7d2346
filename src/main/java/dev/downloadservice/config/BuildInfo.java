package dev.downloadservice.config;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * Which build this is: the project's version and the git commit it was built from, as the build wrote them into
 * {@code build.properties} (pom.xml: buildnumber-maven-plugin, then resource filtering). After an upgrade,
 * {@code --version}, the start-up log line and the {@code build_info} metric say which build runs.
 *
 * @param version the project's version, such as 0.1.0
 * @param commit  the commit's short hash; {@value #UNKNOWN} for a build without {@code .git} (a source archive)
 */
public record BuildInfo(String version, String commit) {

    public static final String UNKNOWN = "unknown";

    /** The build of the running code. */
    public static BuildInfo current() {
        Properties properties = new Properties();
        try (InputStream in = BuildInfo.class.getResourceAsStream("build.properties")) {
            if (in != null) {
                properties.load(in);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("reading build.properties from the class path", e);
        }
        return new BuildInfo(known(properties.getProperty("version")), known(properties.getProperty("commit")));
    }

    /** A value the build did not fill in stays a {@code ${placeholder}}: it is unknown. */
    private static String known(String value) {
        return value == null || value.isBlank() || value.startsWith("${") ? UNKNOWN : value;
    }

    /** As {@code --version} prints it and the start-up log shows it: "download-service 0.1.0 (commit 1a2b3c4)". */
    @Override
    public String toString() {
        return "download-service " + version + " (commit " + commit + ")";
    }
}
