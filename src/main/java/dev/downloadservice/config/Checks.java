package dev.downloadservice.config;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.MissingParameterException;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.TypeConversionException;

/**
 * What the checks of every group of options share: the one wording of a bad value, which names the option and
 * its environment variable (a value may come from either), and the conversions more than one group makes. Every
 * option's value arrives here as the text the operator wrote, so that no conversion fails in words of its own.
 */
final class Checks {

    /**
     * systemd keeps everything after an unquoted value's '#' as part of the value (an environment file has no
     * inline comments): the likeliest cause of a bad value that holds one, so the error says so.
     */
    private static final String INLINE_COMMENT_HINT =
            " (systemd keeps text after # as part of the value: put a comment on a line of its own)";

    /** Where an inline comment starts in a value that may itself hold '#' (a path, a pattern). */
    private static final Pattern INLINE_COMMENT = Pattern.compile("\\s#");

    /** What a flag's value may be, from the environment or after '=' (the original service took DEBUG=1). */
    private static final String FLAG_VALUES = "1, true, yes, on, 0, false, no, off or an empty value";

    /** A byte count and its optional 1024-based unit. */
    private static final Pattern BINARY_BYTES = Pattern.compile("(\\d{1,16})([kKmMgGtT]?)");

    private final CommandLine commandLine;

    Checks(CommandLine commandLine) {
        this.commandLine = commandLine;
    }

    /** Whether the command line itself names {@code option}; a value from its environment variable does not count. */
    boolean given(String option) {
        return commandLine.getParseResult().hasMatchedOption(option);
    }

    /** A whole number from {@code least} to {@code most}; {@code expected} says so, e.g. "a port from 0 to 65535". */
    int integer(String option, String text, int least, int most, String expected) {
        try {
            int value = Integer.parseInt(text.strip());
            if (value >= least && value <= most) {
                return value;
            }
        } catch (NumberFormatException e) {
            // Not a number at all: the same message as one out of range.
        }
        throw invalid(option, expected, text);
    }

    int port(String option, String text) {
        return integer(option, text, 0, 65_535, "a port from 0 to 65535");
    }

    /** Seconds (a decimal number, e.g. 0.5) as a duration, from {@code least} to a day. */
    Duration seconds(String option, String text, BigDecimal least) {
        return seconds(option, text, least, 86_400);
    }

    /** Seconds (a decimal number, e.g. 0.5) as a duration, from {@code least} to {@code most}. */
    Duration seconds(String option, String text, BigDecimal least, long most) {
        try {
            BigDecimal seconds = new BigDecimal(text.strip());
            if (seconds.compareTo(least) >= 0 && seconds.compareTo(BigDecimal.valueOf(most)) <= 0) {
                return Duration.ofNanos(seconds.movePointRight(9).longValue());
            }
        } catch (NumberFormatException e) {
            // Not a number at all: the same message as one out of range.
        }
        throw invalid(option, "seconds from " + least.toPlainString() + " to " + most, text);
    }

    /**
     * A number of bytes with an optional 1024-based unit, k, M, G or T (500k, 2M, 20G), up to {@code most}; empty if
     * the text is none.
     */
    static OptionalLong binaryBytes(String text, long most) {
        Matcher m = BINARY_BYTES.matcher(text.strip());
        if (!m.matches()) {
            return OptionalLong.empty();
        }
        int shift = switch (m.group(2).toLowerCase(Locale.ROOT)) {
            case "k" -> 10;
            case "m" -> 20;
            case "g" -> 30;
            case "t" -> 40;
            default -> 0;
        };
        long number = Long.parseLong(m.group(1));
        return number <= most >> shift ? OptionalLong.of(number << shift) : OptionalLong.empty(); // no overflow
    }

    /**
     * Free text such as a path or a pattern may hold '#', but not after white space: that is an inline comment
     * in an environment file, which would otherwise be taken as part of the value without a word.
     */
    String withoutInlineComment(String option, String text, String expected) {
        if (INLINE_COMMENT.matcher(text).find()) {
            throw invalid(option, expected, text);
        }
        return text;
    }

    /** A flag's value, as {@link #FLAG_VALUES} allows; picocli converts every boolean option with this. */
    static boolean flag(String text) {
        return switch (text.strip().toLowerCase(Locale.ROOT)) {
            case "1", "true", "yes", "on" -> true;
            case "0", "false", "no", "off", "" -> false;
            default -> throw new TypeConversionException(FLAG_VALUES); // reworded by oneLine, which knows the option
        };
    }

    /**
     * The line a refused command line ends with. A bad value is worded by {@link #invalid}; what picocli refuses
     * before our checks see it (a flag's value, an option without a value) is put in the same words; anything
     * else (an unknown option, one given twice) points to the help.
     */
    static String oneLine(ParameterException e) {
        if (e instanceof BadValue) {
            return e.getMessage();
        }
        Checks checks = new Checks(e.getCommandLine());
        if (e instanceof MissingParameterException missing
                && missing.getMissing().get(0) instanceof OptionSpec option) {
            return checks.invalid(option.longestName(), "a value (" + option.paramLabel() + ")", "nothing")
                    .getMessage();
        }
        if (e.getArgSpec() instanceof OptionSpec option && option.typeInfo().isBoolean() && e.getValue() != null) {
            return checks.invalid(option.longestName(), FLAG_VALUES, e.getValue()).getMessage();
        }
        return e.getMessage() + " (download-service --help lists the options)";
    }

    /** The one wording of a bad value: "invalid value for --x (env X): expected …, found …". */
    ParameterException invalid(String option, String expected, String found) {
        String variable = Options.environmentVariable(option);
        return new BadValue(commandLine, "invalid value for " + option
                + (variable == null ? "" : " (env " + variable + ")")
                + ": expected " + expected + ", found " + (found.isEmpty() ? "an empty value" : found)
                + (found.contains("#") ? INLINE_COMMENT_HINT : ""));
    }

    /** A value our checks refused, already in the one wording. */
    private static final class BadValue extends ParameterException {
        BadValue(CommandLine commandLine, String message) {
            super(commandLine, message);
        }
    }

    /** The package's unit hides these folders (ProtectHome=yes, PrivateTmp=yes): photos there are not found. */
    static String hiddenByTheUnit(Path directory) {
        Path absolute = directory.toAbsolutePath().normalize();
        for (String hidden : List.of("/home", "/root", "/run/user", "/tmp", "/var/tmp")) {
            if (absolute.startsWith(hidden)) {
                return " (under the package's unit, " + hidden + " is hidden from the service: ProtectHome=yes and"
                        + " PrivateTmp=yes; see docs/deploy.md, Configure)";
            }
        }
        return "";
    }
}
