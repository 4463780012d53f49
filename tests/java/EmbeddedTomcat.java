// A real embedded Tomcat 9 for the jmx plugin's end-to-end tests, built by tests/src/tomcat.rs
// with plain javac (no build tool) against Debian's libtomcat9-java and libjolokia-core-java.
//
//   java -cp ... EmbeddedTomcat PORT ENGINE BASEDIR [--test-mbeans] [--basic-auth USER:PASSWORD]
//
// ENGINE names the MBean domain: "Tomcat" (the embedded default, as in Spring Boot) or
// "Catalina" (as a standalone Tomcat registers them). Web applications:
//   /demo/ok?ms=N   200 after sleeping N ms (so processing time is measurable)
//   /demo/fail      500 from an exception (the servlet's and the connector's errorCount)
//   /demo/session   200 with a new HttpSession (the Manager's sessionCounter)
//   /jolokia/*      Jolokia's AgentServlet, in the ROOT context (so /jolokia answers as well as
//                   /jolokia/, no context-root redirect) and so outside /demo: Jolokia's requests
//                   never touch the /demo servlets' counters
//   /admin/deploy?path=/P   deploys one more web application at /P (servlet "ok" at /P/ok): its
//                   MBeans appear as a newly deployed webapp's do
// Options:
//   --test-mbeans   also registers the JMX exporter's test MBeans (io.prometheus.jmx.TestMBeanRegistry,
//                   tests/java/io/prometheus/jmx, loaded by name so this file compiles on its own)
//   --basic-auth U:P  Jolokia answers 401 without HTTP basic auth as user U, password P
// Prints "READY port=PORT engine=ENGINE" on stdout once the connector accepts requests.

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

import javax.servlet.Filter;
import javax.servlet.FilterChain;
import javax.servlet.ServletRequest;
import javax.servlet.ServletResponse;

import javax.servlet.ServletException;
import javax.servlet.http.HttpServlet;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;

import org.apache.catalina.Context;
import org.apache.catalina.LifecycleState;
import org.apache.catalina.startup.Tomcat;
import org.apache.tomcat.util.descriptor.web.FilterDef;
import org.apache.tomcat.util.descriptor.web.FilterMap;
import org.jolokia.http.AgentServlet;

public class EmbeddedTomcat {
    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: EmbeddedTomcat PORT ENGINE BASEDIR [--test-mbeans] [--basic-auth USER:PASSWORD]");
            System.exit(2);
        }
        String basicAuth = null;
        for (int i = 3; i < args.length; i++) {
            if (args[i].equals("--test-mbeans")) {
                Class.forName("io.prometheus.jmx.TestMBeanRegistry").getMethod("registerTestMBeans").invoke(null);
            } else if (args[i].equals("--basic-auth") && i + 1 < args.length) {
                basicAuth = args[++i];
            } else {
                System.err.println("unknown option " + args[i]);
                System.exit(2);
            }
        }
        int port = Integer.parseInt(args[0]);
        Tomcat tomcat = new Tomcat();
        tomcat.setBaseDir(args[2]);
        tomcat.setPort(port);
        tomcat.getConnector();
        tomcat.getEngine().setName(args[1]);

        Context demo = tomcat.addContext("/demo", new File(args[2]).getAbsolutePath());
        servlet(demo, "ok", "/ok", new Ok());
        servlet(demo, "fail", "/fail", new Fail());
        servlet(demo, "session", "/session", new Session());

        Context root = tomcat.addContext("", new File(args[2]).getAbsolutePath());
        servlet(root, "jolokia-agent", "/jolokia/*", new AgentServlet());
        servlet(root, "deploy", "/admin/deploy", new Deploy(tomcat, args[2]));
        if (basicAuth != null) {
            FilterDef def = new FilterDef();
            def.setFilterName("basic-auth");
            def.setFilter(new BasicAuth(basicAuth));
            root.addFilterDef(def);
            FilterMap map = new FilterMap();
            map.setFilterName("basic-auth");
            map.addURLPattern("/jolokia/*");
            root.addFilterMap(map);
        }

        tomcat.start();
        if (tomcat.getConnector().getState() != LifecycleState.STARTED) {
            System.err.println("the connector on port " + port + " did not start (port in use?)");
            System.exit(1);
        }
        System.out.println("READY port=" + port + " engine=" + args[1]);
        System.out.flush();
        tomcat.getServer().await();
    }

    static void servlet(Context ctx, String name, String pattern, HttpServlet servlet) {
        Tomcat.addServlet(ctx, name, servlet).setLoadOnStartup(1);
        ctx.addServletMappingDecoded(pattern, name);
    }

    static void text(HttpServletResponse resp, int status, String body) throws IOException {
        resp.setStatus(status);
        resp.setContentType("text/plain");
        resp.getWriter().write(body + "\n");
    }

    static class Ok extends HttpServlet {
        @Override
        protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
            String ms = req.getParameter("ms");
            if (ms != null) {
                try {
                    Thread.sleep(Long.parseLong(ms));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            text(resp, 200, "ok");
        }
    }

    // Throws rather than setting 500: the servlet's errorCount counts exceptions only, the
    // connector's (GlobalRequestProcessor) counts every status >= 400.
    static class Fail extends HttpServlet {
        @Override
        protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws ServletException {
            throw new ServletException("failing on purpose");
        }
    }

    static class Session extends HttpServlet {
        @Override
        protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
            text(resp, 200, "session " + req.getSession(true).getId());
        }
    }

    // Deploys a web application at ?path=/P with one servlet, "ok", at /P/ok.
    static class Deploy extends HttpServlet {
        final Tomcat tomcat;
        final String base;

        Deploy(Tomcat tomcat, String base) {
            this.tomcat = tomcat;
            this.base = base;
        }

        @Override
        protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
            String path = req.getParameter("path");
            if (path == null || !path.startsWith("/") || tomcat.getHost().findChild(path) != null) {
                text(resp, 400, "need a new ?path=/NAME");
                return;
            }
            Context ctx = tomcat.addContext(path, new File(base).getAbsolutePath());
            servlet(ctx, "ok", "/ok", new Ok());
            text(resp, 200, "deployed " + path);
        }
    }

    // HTTP basic auth in front of Jolokia, as a container's security constraint would do it.
    static class BasicAuth implements Filter {
        final String expected;

        BasicAuth(String userPassword) {
            expected = "Basic " + Base64.getEncoder().encodeToString(userPassword.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public void doFilter(ServletRequest req, ServletResponse resp, FilterChain chain)
                throws IOException, ServletException {
            if (expected.equals(((HttpServletRequest) req).getHeader("Authorization"))) {
                chain.doFilter(req, resp);
                return;
            }
            HttpServletResponse r = (HttpServletResponse) resp;
            r.setHeader("WWW-Authenticate", "Basic realm=\"jolokia\"");
            text(r, 401, "unauthorized");
        }
    }
}
