package dev.downloadservice.config;

import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Supplies an option's value from its environment variable when the command line
 * does not give it, so the precedence is: command line, then environment, then the
 * option's built-in default.
 */
final class EnvironmentDefaults implements IDefaultValueProvider {

    private final Map<String, String> environment;

    EnvironmentDefaults(Map<String, String> environment) {
        this.environment = Map.copyOf(environment);
    }

    @Override
    public String defaultValue(ArgSpec argSpec) {
        if (!(argSpec instanceof OptionSpec option)) {
            return null;
        }
        String variable = Options.environmentVariable(option.longestName());
        String value = variable == null ? null : environment.get(variable);
        if (value == null) {
            return null;
        }
        return option.typeInfo().isBoolean() ? normaliseBoolean(value) : value;
    }

    /** The original service took DEBUG=1; accept the usual spellings of true and false. */
    private static String normaliseBoolean(String value) {
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "1", "true", "yes", "on" -> "true";
            case "0", "false", "no", "off", "" -> "false";
            default -> value;
        };
    }
}
