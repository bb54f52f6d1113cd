import de.bwaldvogel.mongo.MongoBackend;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.MongoVersion;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;

import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * Starts mongo-java-server (the local MongoDB stand-in) on a loopback port.
 *
 * Usage: java Launcher <port> <memory | h2:/path/to/file.mv>
 *
 * The library's own ServerVersion enum stops at 5.0 / wire 8, which the current Node driver
 * refuses, so the stand-in announces 5.0.0 with wire version 13 instead.
 */
public final class Launcher {
    private static final MongoVersion MONGO_5_0_WIRE_13 = new MongoVersion() {
        @Override
        public List<Integer> getVersionArray() {
            return List.of(5, 0, 0);
        }

        @Override
        public int getWireVersion() {
            return 13;
        }
    };

    public static void main(String[] args) throws InterruptedException {
        if (args.length != 2) {
            System.err.println("usage: Launcher <port> <memory | h2:<file>>");
            System.exit(2);
        }
        int port = Integer.parseInt(args[0]);
        String backendSpec = args[1];

        MongoBackend backend;
        if (backendSpec.equals("memory")) {
            backend = new MemoryBackend();
        } else if (backendSpec.startsWith("h2:")) {
            backend = new H2Backend(backendSpec.substring(3));
        } else {
            System.err.println("unknown backend: " + backendSpec);
            System.exit(2);
            return;
        }
        backend.version(MONGO_5_0_WIRE_13);

        MongoServer server = new MongoServer(backend);
        server.bind("127.0.0.1", port);
        System.out.println("mongo-java-server listening on 127.0.0.1:" + port + " backend=" + backendSpec);

        // SIGTERM runs this hook; shutting down closes the H2 store cleanly so acknowledged
        // writes are flushed (a SIGKILL loses about the last second of them).
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.shutdown();
            stopped.countDown();
        }));
        stopped.await();
    }
}
