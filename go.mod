module github.com/pg-background/pg_background

go 1.23.0

require (
	github.com/jackc/pgx/v5 v5.7.6
	github.com/stretchr/testify v1.12.1
)

require go.yaml.in/yaml/v3 v3.0.5 // indirect
