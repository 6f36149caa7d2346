package dev.downloadservice.config;

import java.math.BigDecimal;
import java.time.Duration;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

/**
 * What the checks of every group of options share: the one wording of a bad value, which names the option and
 * its environment variable (a value may come from either), and the checks more than one group makes.
 */
final class Checks {

    private final CommandLine commandLine;

    Checks(CommandLine commandLine) {
        this.commandLine = commandLine;
    }

    /** Whether the command line itself names {@code option}; a value from its environment variable does not count. */
    boolean given(String option) {
        return commandLine.getParseResult().hasMatchedOption(option);
    }

    /** Seconds as a duration, from {@code least} to a day. */
    Duration seconds(String option, BigDecimal seconds, BigDecimal least) {
        if (seconds.compareTo(least) < 0 || seconds.compareTo(BigDecimal.valueOf(86_400)) > 0) {
            throw invalid(option, "seconds from " + least.toPlainString() + " to 86400", seconds.toPlainString());
        }
        return Duration.ofNanos(seconds.movePointRight(9).longValue());
    }

    ParameterException invalid(String option, String expected, String found) {
        String variable = Options.environmentVariable(option);
        return new ParameterException(commandLine, "invalid value for " + option
                + (variable == null ? "" : " (env " + variable + ")")
                + ": expected " + expected + ", found " + found);
    }
}
