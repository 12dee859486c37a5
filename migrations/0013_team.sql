-- The seller's team (issue 29): people on this roster are on the seller's side on every call.
CREATE TABLE seller_team (
    id          bigserial   PRIMARY KEY,
    name        text        NOT NULL CHECK (name <> ''),
    email       text,
    added_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX seller_team_name_idx ON seller_team (lower(name));
