package dev.downloadservice.http;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.ipfilter.IpFilterRuleType;
import io.netty.handler.ipfilter.IpSubnetFilterRule;
import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * Who sent a request: the peer, or, when the peer is a trusted proxy, the client the proxy
 * names. X-Forwarded-For is read from the right, past trusted proxies only, since anything
 * to the left of the first untrusted hop was written by the client and proves nothing.
 */
final class ClientAddresses {

    private final List<IpSubnetFilterRule> trusted = new ArrayList<>();

    /** @param blocks addresses or CIDR blocks ("10.0.0.0/8", "::1"), already checked to be literals */
    ClientAddresses(List<String> blocks) {
        for (String block : blocks) {
            int slash = block.indexOf('/');
            String address = slash < 0 ? block : block.substring(0, slash);
            int prefix = slash >= 0 ? Integer.parseInt(block.substring(slash + 1))
                    : NetUtil.isValidIpV4Address(address) ? 32 : 128;
            trusted.add(new IpSubnetFilterRule(address, prefix, IpFilterRuleType.ACCEPT));
        }
    }

    String of(SocketAddress peer, HttpHeaders headers) {
        if (!(peer instanceof InetSocketAddress socket) || socket.getAddress() == null) {
            return String.valueOf(peer);
        }
        String client = socket.getAddress().getHostAddress();
        if (!isTrusted(client)) {
            return client;
        }
        List<String> hops = new ArrayList<>();
        for (String header : headers.getAll("X-Forwarded-For")) {
            for (String hop : header.split(",")) {
                hops.add(hop.strip());
            }
        }
        if (hops.isEmpty()) {
            String realIp = headers.get("X-Real-IP");
            return realIp != null && isLiteral(realIp.strip()) ? realIp.strip() : client;
        }
        for (int i = hops.size() - 1; i >= 0; i--) {
            String hop = hops.get(i);
            if (!isLiteral(hop)) {
                break; // not an address: stop at the last one known to be right
            }
            client = hop;
            if (!isTrusted(hop)) {
                break;
            }
        }
        return client;
    }

    private boolean isTrusted(String literal) {
        InetSocketAddress address = socketAddress(literal);
        return trusted.stream().anyMatch(rule -> rule.matches(address));
    }

    private static boolean isLiteral(String text) {
        return NetUtil.isValidIpV4Address(text) || NetUtil.isValidIpV6Address(text);
    }

    /** A literal address as a socket address, without a DNS lookup. */
    private static InetSocketAddress socketAddress(String literal) {
        try {
            return new InetSocketAddress(InetAddress.getByAddress(NetUtil.createByteArrayFromIpAddressString(literal)), 0);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("expected an IP address, found " + literal, e);
        }
    }
}
