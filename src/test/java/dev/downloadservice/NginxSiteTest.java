package dev.downloadservice;

import static org.assertj.core.api.Assertions.assertThat;

import dev.downloadservice.config.Options;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What deploy/nginx/download-service.conf must say to work with the service; nginx itself runs it in NginxIT. */
class NginxSiteTest {

    /**
     * The service closes a keep-alive connection after its idle timeout; nginx must give an idle connection up
     * first, or it may send a request on one just as the service closes it (a 502).
     */
    @Test
    void upstreamKeepaliveTimeout_isBelowTheServicesDefaultIdleTimeout() throws Exception {
        Duration serviceIdleTimeout = Options.parse(new String[0], Map.of()).timeouts().idle();

        assertThat(NginxSite.read().upstreamKeepaliveTimeout()).isLessThan(serviceIdleTimeout);
    }

    /** {@code _} (or no name) would share the default site's catch-all: the default site, being default_server, wins. */
    @Test
    void serverName_isAHostName() throws Exception {
        assertThat(NginxSite.read().serverName()).matches("[a-z0-9-]+(\\.[a-z0-9-]+)+");
    }
}
