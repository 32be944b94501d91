# The README's two commands are `make demo` and `make test`; each installs what it needs first.
.PHONY: deps build test test-unit test-net demo bench lint typecheck clean

deps:
	bash scripts/deps.sh

build: deps
	node scripts/build.mjs

test: deps
	node scripts/test.mjs all

test-unit: deps
	node scripts/test.mjs unit

test-net: deps
	node scripts/test.mjs net

demo: deps build
	node --import tsx lab/demo.ts

bench: deps build
	node --import tsx bench/run.ts

lint: deps
	npx eslint .

typecheck: deps
	npx tsc -p tsconfig.json --noEmit

clean:
	rm -rf dist build hooks/metallb-hooks
