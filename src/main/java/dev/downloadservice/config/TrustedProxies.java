package dev.downloadservice.config;

import io.netty.util.NetUtil;
import java.util.ArrayList;
import java.util.List;

/**
 * The value of --trusted-proxies: literal addresses only (a name would need DNS at start-up), each
 * with an optional prefix length.
 */
final class TrustedProxies {

    private TrustedProxies() {
    }

    /** The comma-separated blocks of {@code text}, each an IPv4 or IPv6 address or CIDR block; empty for none. */
    static List<String> checked(String text, Checks checks) {
        List<String> blocks = new ArrayList<>();
        for (String block : text.split(",")) {
            String trimmed = block.strip();
            if (trimmed.isEmpty()) {
                continue;
            }
            int slash = trimmed.indexOf('/');
            String address = slash < 0 ? trimmed : trimmed.substring(0, slash);
            int maxPrefix = NetUtil.isValidIpV4Address(address) ? 32 : NetUtil.isValidIpV6Address(address) ? 128 : -1;
            boolean prefixOk = slash < 0 || trimmed.substring(slash + 1).matches("\\d{1,3}")
                    && Integer.parseInt(trimmed.substring(slash + 1)) <= maxPrefix;
            if (maxPrefix < 0 || !prefixOk) {
                throw checks.invalid("--trusted-proxies", "IP addresses or CIDR blocks separated by commas", trimmed);
            }
            blocks.add(trimmed);
        }
        return blocks;
    }
}
