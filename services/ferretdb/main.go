// Command ferretdb-embedded runs FerretDB (v1.24.x, SQLite or PostgreSQL handler) in-process
// via the embeddable package github.com/FerretDB/FerretDB/ferretdb.
//
// It exists because `go install github.com/FerretDB/FerretDB/cmd/ferretdb`
// panics without the generated build/version/version.txt file; the embeddable
// package skips that check (it only runs when the main module is FerretDB
// itself), so we embed it and report the module version from build info.
//
// It is a test service for RESTfulSwarm: it listens on loopback only by
// default, keeps its data in a (temporary) directory, never sends telemetry,
// and exits cleanly on SIGINT/SIGTERM.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"syscall"

	"github.com/FerretDB/FerretDB/build/version"
	"github.com/FerretDB/FerretDB/ferretdb"
)

const ferretModule = "github.com/FerretDB/FerretDB"

// ferretVersion returns the version of the FerretDB module linked into this binary.
func ferretVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range bi.Deps {
			if dep.Path == ferretModule {
				if dep.Replace != nil && dep.Replace.Version != "" {
					return dep.Replace.Version
				}
				return dep.Version
			}
		}
	}
	return "unknown"
}

func main() {
	listen := flag.String("listen", "127.0.0.1:27017", "TCP address to listen on (host:port)")
	sqliteDir := flag.String("sqlite-dir", "", "directory for SQLite data files (default: a new temporary directory, removed on exit)")
	postgresURL := flag.String("postgresql-url", "", "use the PostgreSQL handler with this connection string (e.g. postgres://user@127.0.0.1:5432/ferretdb) instead of SQLite")
	logLevel := flag.String("log-level", "warn", "log level: debug, info, warn, error")
	showVersion := flag.Bool("version", false, "print FerretDB version and exit")
	flag.Parse()

	ver := ferretVersion()
	if *showVersion {
		fmt.Printf("ferretdb-embedded (FerretDB %s)\n", ver)
		return
	}

	if err := run(*listen, *sqliteDir, *postgresURL, *logLevel, ver); err != nil {
		fmt.Fprintf(os.Stderr, "ferretdb-embedded: %s\n", err)
		os.Exit(1)
	}
}

func run(listen, sqliteDir, postgresURL, logLevel, ver string) error {
	// Telemetry: the embeddable package never starts the telemetry reporter and
	// explicitly disables/locks it; the env var is set as a belt-and-braces measure.
	_ = os.Setenv("FERRETDB_TELEMETRY", "disable")
	_ = os.Setenv("DO_NOT_TRACK", "1")

	// Report the real version to clients (buildInfo command etc.) instead of "unknown".
	if ver != "unknown" {
		version.Get().Version = ver
	}

	var level slog.Level
	if err := level.UnmarshalText([]byte(logLevel)); err != nil {
		return fmt.Errorf("invalid --log-level %q: %w", logLevel, err)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	if _, _, err := net.SplitHostPort(listen); err != nil {
		return fmt.Errorf("invalid --listen %q: %w", listen, err)
	}

	if postgresURL != "" {
		if sqliteDir != "" {
			return errors.New("--sqlite-dir and --postgresql-url exclude each other: pick one handler")
		}
		return serve(ferretdb.Config{
			Listener:      ferretdb.ListenerConfig{TCP: listen},
			Logger:        logger,
			Handler:       "postgresql",
			PostgreSQLURL: postgresURL,
		}, listen, ver, "postgresql")
	}

	if sqliteDir == "" {
		dir, err := os.MkdirTemp("", "ferretdb-embedded-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		sqliteDir = dir
	} else if err := os.MkdirAll(sqliteDir, 0o755); err != nil {
		return err
	}

	abs, err := filepath.Abs(sqliteDir)
	if err != nil {
		return err
	}

	return serve(ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: listen},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: "file:" + filepath.ToSlash(abs) + "/",
	}, listen, ver, "sqlite-dir="+abs)
}

// serve runs FerretDB with cfg until SIGINT/SIGTERM; where names the storage in the banner.
func serve(cfg ferretdb.Config, listen, ver, where string) error {
	f, err := ferretdb.New(&cfg)
	if err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()

	// In v1.24 the TCP socket is bound by New; MongoDBURI waits until it is.
	uri := f.MongoDBURI()
	fmt.Printf("ferretdb-embedded listening on %s (FerretDB %s) uri=%s %s\n",
		hostPort(uri, listen), ver, uri, where)

	err = <-done
	if err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	fmt.Println("ferretdb-embedded stopped")
	return nil
}

// hostPort extracts host:port from a mongodb:// URI, falling back to def.
func hostPort(uri, def string) string {
	const p = "mongodb://"
	if len(uri) > len(p) && uri[:len(p)] == p {
		rest := uri[len(p):]
		for i := 0; i < len(rest); i++ {
			if rest[i] == '/' {
				return rest[:i]
			}
		}
		return rest
	}
	return def
}
