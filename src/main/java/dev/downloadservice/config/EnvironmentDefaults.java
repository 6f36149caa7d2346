package dev.downloadservice.config;

import java.util.Map;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Supplies an option's value from its environment variable when the command line
 * does not give it, so the precedence is: command line, then environment, then the
 * option's built-in default. The value is the variable's text as it is: the checks convert it, as they convert
 * the command line's (a flag's through {@link Checks#flag}).
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
        return value;
    }
}
