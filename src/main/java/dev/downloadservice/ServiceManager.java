package dev.downloadservice;

import io.netty.channel.epoll.Epoll;
import io.netty.channel.unix.Socket;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells systemd when the service is ready and when it stops (the unit's {@code Type=notify};
 * sd_notify(3)): {@code systemctl start} and {@code restart} then return once the service
 * listens, or fail if it exits first, so that nothing waits on a port by hand. The messages
 * are datagrams to the socket {@code NOTIFY_SOCKET} names; without it, as outside systemd,
 * there is no one to tell. Java has no Unix datagram sockets, Netty's native transport has.
 */
final class ServiceManager {

    private static final Logger log = LoggerFactory.getLogger(ServiceManager.class);

    /** The socket's path, or null when no service manager listens. */
    private final String socket;

    private ServiceManager(String socket) {
        this.socket = socket;
    }

    static ServiceManager fromEnvironment(Map<String, String> environment) {
        String socket = environment.get("NOTIFY_SOCKET");
        return new ServiceManager(socket == null || socket.isEmpty() ? null : socket);
    }

    /** @param status a line for {@code systemctl status} */
    void ready(String status) {
        send("READY=1\nSTATUS=" + status);
    }

    void stopping() {
        send("STOPPING=1\nSTATUS=draining");
    }

    private void send(String message) {
        if (socket == null) {
            return;
        }
        if (socket.startsWith("@") || !Epoll.isAvailable()) {
            // systemd would wait for the service to say it is ready until TimeoutStartSec, then stop it.
            log.error("cannot tell systemd that the service {} (NOTIFY_SOCKET={}): {}", message.lines().findFirst()
                    .orElseThrow(), socket, socket.startsWith("@") ? "an abstract socket is not supported"
                    : "Netty's native transport is unavailable: " + Epoll.unavailabilityCause());
            return;
        }
        byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
        ByteBuffer datagram = ByteBuffer.allocateDirect(bytes.length).put(bytes).flip();
        Socket notify = Socket.newSocketDomainDgram();
        try {
            notify.sendToDomainSocket(datagram, 0, bytes.length, socket.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            log.error("cannot tell systemd {} (NOTIFY_SOCKET={}): {}", message.lines().findFirst().orElseThrow(),
                    socket, e.toString());
        } finally {
            try {
                notify.close();
            } catch (IOException e) {
                log.debug("closing the socket to systemd: {}", e.toString());
            }
        }
    }
}
