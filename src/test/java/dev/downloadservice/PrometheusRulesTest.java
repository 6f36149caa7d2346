package dev.downloadservice;

import static java.util.function.Predicate.not;
import static org.assertj.core.api.Assertions.assertThat;

import dev.downloadservice.testing.Commands;
import dev.downloadservice.testing.ServiceMetrics;
import dev.downloadservice.testing.TestService;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.MatchResult;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The alert rules in deploy/prometheus/ are valid for Debian's promtool, pass their unit
 * tests, and name only metrics the service exports, so that renaming a metric breaks the
 * build instead of silencing an alert.
 */
class PrometheusRulesTest {

    private static final Path DIRECTORY = Path.of("deploy/prometheus");
    private static final String RULES = "download-service.rules.yml";
    private static final String RULE_TESTS = "download-service.rules.test.yml";
    /** Series that Prometheus itself adds to every scrape, which no service exports. */
    private static final Set<String> SCRAPER_SERIES = Set.of("up");

    // The rules are read as text, not YAML (the tests have no YAML library): their layout is
    // ours, "- alert: Name" and "expr:" on one line or as a "|" block below it.
    private static final Pattern ALERT = Pattern.compile("(?m)^\\s*- alert: (\\S+)$");
    /** {@code expr: ...} on one line, or {@code expr: |} and the lines indented below it. */
    private static final Pattern EXPRESSION = Pattern.compile("(?m)^( *)expr: (?:\\|\\n((?:\\1 +.*\\n)+)|(.*)$)");
    /** What in PromQL is not a metric name but looks like one: label matchers, strings, ranges, grouping labels. */
    private static final Pattern NOT_NAMES = Pattern.compile(
            "\\{[^}]*}|\"[^\"]*\"|\\[[^]]*]|\\b(?:by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
    /** An identifier not followed by "(" (a function) and not part of a number or duration. */
    private static final Pattern IDENTIFIER = Pattern.compile("(?<![\\w.:])[a-zA-Z_:][\\w:]*(?![\\w:]|\\s*\\()");
    /** PromQL's binary operators and modifiers that are words. */
    private static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "bool", "offset");

    @Test
    void rules_checkRules_passes() throws Exception {
        assertSucceeds(promtool("check", "rules", DIRECTORY.resolve(RULES)));
    }

    /** promtool's verdict is its exit code; this shows it gives a bad one. */
    @Test
    void rules_withABadExpression_failCheckRules(@TempDir Path dir) throws Exception {
        Path rules = copyRules(dir, rules().replace("== 0", "== == 0"));

        Commands.Result check = promtool("check", "rules", rules);

        assertThat(check.exit()).as(check.describe()).isNotZero();
        assertThat(check.out() + check.err()).contains("parse error");
    }

    @Test
    void rules_unitTests_pass() throws Exception {
        assertSucceeds(promtool("test", "rules", DIRECTORY.resolve(RULE_TESTS)));
    }

    /** Every alert has a unit test that expects it to fire: with the alert gone, the tests fail. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("alerts")
    void rules_withAnAlertGone_failTheUnitTests(String alert, @TempDir Path dir) throws Exception {
        copyRules(dir, rules().replace("- alert: " + alert + "\n",
                "- alert: " + alert + "Renamed\n"));
        Files.copy(DIRECTORY.resolve(RULE_TESTS), dir.resolve(RULE_TESTS));

        Commands.Result test = promtool("test", "rules", dir.resolve(RULE_TESTS));

        assertThat(test.exit()).as(test.describe()).isNotZero();
        assertThat(test.out() + test.err()).contains("alertname: " + alert);
    }

    static List<String> alerts() throws Exception {
        return ALERT.matcher(rules()).results().map(m -> m.group(1)).toList();
    }

    @Test
    void rules_everyMetricTheyName_isOneTheServiceExports(@TempDir Path root) throws Exception {
        List<String> expressions = expressions(rules());
        Set<String> exported = exportedMetrics(root);

        assertThat(expressions).hasSameSizeAs(alerts());
        for (String expression : expressions) {
            Set<String> named = metricNames(expression);
            assertThat(named).as("metrics in %s", expression).isNotEmpty();
            assertThat(named.stream().filter(not(exported::contains)))
                    .as("metrics in %s that the service does not export", expression).isEmpty();
        }
    }

    /** The names on a real service's /metrics, and what the scraper adds. */
    private static Set<String> exportedMetrics(Path root) throws Exception {
        String scrape;
        try (TestService service = TestService.start(root)) { // before any request: every series an alert needs is there
            scrape = ServiceMetrics.scrape(service.port());
        }
        Stream<String> names = scrape.lines().filter(line -> !line.startsWith("#") && !line.isBlank())
                .map(line -> line.split("[{ ]", 2)[0]);
        return Stream.concat(names, SCRAPER_SERIES.stream()).collect(Collectors.toSet());
    }

    private static List<String> expressions(String rules) {
        return EXPRESSION.matcher(rules).results().map(m -> m.group(2) != null ? m.group(2) : m.group(3)).toList();
    }

    private static Set<String> metricNames(String expression) {
        return IDENTIFIER.matcher(NOT_NAMES.matcher(expression).replaceAll(" ")).results().map(MatchResult::group)
                .filter(name -> !KEYWORDS.contains(name)).collect(Collectors.toCollection(TreeSet::new));
    }

    private static String rules() throws IOException {
        return Files.readString(DIRECTORY.resolve(RULES));
    }

    /** {@code rules} in {@code dir}, under the name the unit tests load. */
    private static Path copyRules(Path dir, String rules) throws IOException {
        return Files.writeString(dir.resolve(RULES), rules);
    }

    /** {@code promtool check rules FILE} or {@code promtool test rules FILE}. */
    private static Commands.Result promtool(String command, String subcommand, Path file) throws Exception {
        return Commands.run(Duration.ofSeconds(60), "promtool", command, subcommand, file.toString());
    }

    private static void assertSucceeds(Commands.Result result) {
        assertThat(result.exit()).as(result.describe()).isZero();
    }
}
